using System.Text;

namespace Kubesharp.Api.Protobuf;

/// <summary>
/// The envelope of every Kubernetes protobuf object: the four bytes <c>k8s\0</c>, then a <c>runtime.Unknown</c>
/// message (typeMeta = 1 with apiVersion = 1 and kind = 2, raw = 2, contentEncoding = 3, contentType = 4) whose
/// <c>raw</c> holds the object's own message (apimachinery <c>runtime/serializer/protobuf/protobuf.go</c>).
/// </summary>
internal readonly ref struct ProtoEnvelope
{
    private ProtoEnvelope(string apiVersion, string kind, ReadOnlySpan<byte> raw)
    {
        ApiVersion = apiVersion;
        Kind = kind;
        Raw = raw;
    }

    /// <summary>The prefix that marks a protobuf-encoded Kubernetes object.</summary>
    public static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    public string ApiVersion { get; }

    public string Kind { get; }

    /// <summary>The version alone (<c>v1</c> of <c>apps/v1</c>), as upstream's error messages name it.</summary>
    public string Version => ApiVersion[(ApiVersion.LastIndexOf('/') + 1)..];

    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>Reads the envelope; throws <see cref="ProtobufFormatException"/> with upstream's messages when it is not one.</summary>
    public static ProtoEnvelope Parse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ProtobufFormatException("empty data");
        }

        if (!data.StartsWith(Magic))
        {
            throw new ProtobufFormatException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        if (data.Length == Magic.Length)
        {
            throw new ProtobufFormatException("empty body");
        }

        data = data[Magic.Length..];
        string apiVersion = "", kind = "";
        ReadOnlySpan<byte> raw = default;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field is < 1 or > 4)
            {
                reader.Skip(wire);
                continue;
            }

            if (wire != WireType.Len)
            {
                throw new ProtobufFormatException($"proto: wrong wireType = {(int)wire} for field {UnknownFieldName(field)}");
            }

            var (start, length) = reader.ReadLengthDelimited();
            if (field == 1)
            {
                ReadTypeMeta(data.Slice(start, length), ref apiVersion, ref kind);
            }
            else if (field == 2)
            {
                raw = data.Slice(start, length);
            }

            // contentEncoding and contentType: upstream's decoder reads them and does not act on them.
        }

        if (kind.Length == 0)
        {
            throw new ProtobufFormatException($"Object 'Kind' is missing in 'runtime.TypeMeta{{APIVersion:\"{apiVersion}\", Kind:\"\"}}'");
        }

        if (apiVersion.Length == 0 || apiVersion.EndsWith('/'))
        {
            throw new ProtobufFormatException($"Object 'apiVersion' is missing in 'runtime.TypeMeta{{APIVersion:\"{apiVersion}\", Kind:\"{kind}\"}}'");
        }

        return new ProtoEnvelope(apiVersion, kind, raw);
    }

    private static void ReadTypeMeta(ReadOnlySpan<byte> data, ref string apiVersion, ref string kind)
    {
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field is not (1 or 2))
            {
                reader.Skip(wire);
                continue;
            }

            if (wire != WireType.Len)
            {
                throw new ProtobufFormatException($"proto: wrong wireType = {(int)wire} for field {(field == 1 ? "APIVersion" : "Kind")}");
            }

            var (start, length) = reader.ReadLengthDelimited();
            var text = Encoding.UTF8.GetString(data.Slice(start, length));
            if (field == 1)
            {
                apiVersion = text;
            }
            else
            {
                kind = text;
            }
        }
    }

    private static string UnknownFieldName(int field) => field switch
    {
        1 => "TypeMeta",
        2 => "Raw",
        3 => "ContentEncoding",
        _ => "ContentType",
    };
}
