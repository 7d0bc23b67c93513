using System.Buffers;
using System.Text.Json;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Protobuf;

/// <summary>
/// Request bodies in Kubernetes' protobuf encoding (<c>application/vnd.kubernetes.protobuf</c>, which client-go's
/// typed clients send, so kubectl's <c>create</c> generators among others) turned into the JSON the server
/// handles: after this, defaulting, validation and storage see the same object a JSON client would have sent.
/// Thread-safe; the schema is loaded once.
/// </summary>
public static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>Whether a Content-Type header names the protobuf encoding (parameters ignored).</summary>
    public static bool IsMediaType(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var media = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return media.Equals(MediaType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The JSON of an enveloped protobuf object, <c>kind</c> and <c>apiVersion</c> first. Throws a
    /// <see cref="StatusException"/> 400 BadRequest when the body is not an envelope, names a kind the schema
    /// table does not have (upstream also answers 400: the decoder fails before any media-type decision), or
    /// holds a malformed message. Never throws anything else for bad input.
    /// </summary>
    public static byte[] ToJson(ReadOnlySpan<byte> body) => ToJson(body, ProtoSchema.Builtin);

    internal static byte[] ToJson(ReadOnlySpan<byte> body, ProtoSchema schema)
    {
        ProtoEnvelope envelope;
        try
        {
            envelope = ProtoEnvelope.Parse(body);
        }
        catch (ProtobufFormatException e)
        {
            throw StatusException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }

        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, body.Length * 2));
        try
        {
            using var json = new Utf8JsonWriter(buffer);
            new ProtoJsonWriter(schema, json).WriteEnvelope(envelope, 0);
        }
        catch (ProtobufFormatException e)
        {
            // Upstream's wording (transformDecodeError in the apiserver's handlers), with the envelope's kind.
            throw StatusException.BadRequest($"{envelope.Kind} in version \"{envelope.Version}\" cannot be handled as a {envelope.Kind}: {e.Message}");
        }

        return buffer.WrittenSpan.ToArray();
    }
}
