using System.Buffers;
using System.Text;
using System.Text.Json;
using Kubesharp.Api.Protobuf;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>Decoding helpers for the tests: a whole enveloped object, or one message of the schema table.</summary>
internal static class ProtoJson
{
    public static string Object(string apiVersion, string kind, ProtoBuilder raw) =>
        Encoding.UTF8.GetString(KubernetesProtobuf.ToJson(ProtoBuilder.Envelope(apiVersion, kind, raw)));

    public static string Message(string name, ProtoBuilder data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new ProtoJsonWriter(ProtoSchema.Builtin, writer).WriteValue(ProtoSchema.Builtin.Messages[name], data.ToArray(), 0);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
