using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Kubesharp.Api.Protobuf;

/// <summary>
/// Writes protobuf messages as JSON, walking the bytes with the schema table: no reflection, no typed objects.
/// The JSON is what Go's <c>encoding/json</c> writes for the struct that gogo-protobuf decodes from the same
/// bytes, so a client gets the object its JSON request would have produced (ADR 5):
/// <list type="bullet">
/// <item>fields in Go struct order; map keys sorted; the last of repeated singular values wins and repeated
/// occurrences of a message merge, as protobuf decoders do; unknown fields are skipped;</item>
/// <item>a value field (not a Go pointer) that is zero is dropped when tagged <c>omitempty</c>, else written as
/// its zero (<c>""</c>, <c>0</c>, <c>false</c>);</item>
/// <item>a pointer field absent from the wire is dropped when <c>omitempty</c>, else <c>null</c>; present, it
/// is written even when zero (<c>automountServiceAccountToken: false</c>);</item>
/// <item>an empty list, map or byte string is dropped when <c>omitempty</c>, else <c>null</c>;</item>
/// <item>a value struct is always written, even empty (<c>"status":{}</c>), since <c>omitempty</c> never drops
/// a struct in Go; a zero <c>Time</c> is <c>null</c>.</item>
/// </list>
/// One instance writes one document; not thread-safe.
/// </summary>
internal sealed partial class ProtoJsonWriter(ProtoSchema schema, Utf8JsonWriter writer)
{
    /// <summary>Deepest nesting of messages accepted: far beyond any real object, well within the stack.</summary>
    public const int MaxDepth = 100;

    /// <summary>Writes an enveloped object: <c>kind</c> and <c>apiVersion</c> from the envelope, then its fields.</summary>
    public void WriteEnvelope(ProtoEnvelope envelope, int depth)
    {
        var message = schema.FindKind(envelope.ApiVersion, envelope.Kind)
            ?? throw new ProtobufFormatException($"no kind \"{envelope.Kind}\" is registered for version \"{envelope.ApiVersion}\"");
        writer.WriteStartObject();
        writer.WriteString("kind"u8, envelope.Kind);
        writer.WriteString("apiVersion"u8, envelope.ApiVersion);
        WriteFields(message, envelope.Raw, depth);
        writer.WriteEndObject();
    }

    /// <summary>Writes a message as its JSON value: an object, or the form of a special message.</summary>
    public void WriteValue(ProtoMessage message, ReadOnlySpan<byte> data, int depth)
    {
        if (message.Special != SpecialKind.None)
        {
            WriteSpecial(message, data, depth);
            return;
        }

        writer.WriteStartObject();
        WriteFields(message, data, depth);
        writer.WriteEndObject();
    }

    /// <summary>Writes the fields of a message into the object being written.</summary>
    private void WriteFields(ProtoMessage message, ReadOnlySpan<byte> data, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ProtobufFormatException($"messages are nested more than {MaxDepth} deep");
        }

        var found = Scan(message, data, out var count);
        try
        {
            var next = 0;
            for (var i = 0; i < message.Fields.Length; i++)
            {
                var start = next;
                while (next < count && found[next].Field == i)
                {
                    next++;
                }

                WriteField(message.Fields[i], data, found.AsSpan(start, next - start), depth);
            }
        }
        finally
        {
            ArrayPool<Occurrence>.Shared.Return(found);
        }
    }

    private void WriteField(ProtoField field, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        switch (field.Cardinality)
        {
            case ProtoCardinality.Repeated:
                WriteRepeated(field, data, found, depth);
                break;
            case ProtoCardinality.Map:
                WriteMap(field, data, found, depth);
                break;
            case ProtoCardinality.Single when field.Type == ProtoType.Message:
                WriteSingleMessage(field, data, found, depth);
                break;
            default:
                WriteSingleScalar(field, data, found);
                break;
        }
    }

    /// <summary>A nil Go pointer, slice, map or byte slice: dropped when <c>omitempty</c>, else <c>null</c>.</summary>
    private void WriteNil(ProtoField field)
    {
        if (!field.OmitEmpty && !field.Inline)
        {
            writer.WriteNull(field.JsonName);
        }
    }

    private void WriteSingleScalar(ProtoField field, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found)
    {
        if (found.IsEmpty)
        {
            if (field.Pointer || field.Type == ProtoType.Bytes)
            {
                WriteNil(field);
            }
            else if (!field.OmitEmpty)
            {
                writer.WritePropertyName(field.JsonName);
                WriteZero(field.Type);
            }

            return;
        }

        var last = found[^1];
        var bytes = last.Wire == WireType.Len ? data.Slice(last.Start, last.Length) : default;
        if (field.OmitEmpty && !field.Pointer && IsZero(field.Type, last.Value, bytes))
        {
            return;
        }

        writer.WritePropertyName(field.JsonName);
        WriteScalar(field.Type, last.Value, bytes);
    }

    private void WriteSingleMessage(ProtoField field, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        var message = field.Message!;
        if (found.IsEmpty && field.Pointer)
        {
            WriteNil(field);
            return;
        }

        byte[]? merged = null;
        try
        {
            var value = Merge(data, found, ref merged);
            if (message.Special == SpecialKind.List && field.OmitEmpty && ListIsEmpty(message, value))
            {
                return;
            }

            if (field.Inline)
            {
                WriteFields(message, value, depth + 1);
                return;
            }

            writer.WritePropertyName(field.JsonName);
            WriteValue(message, value, depth + 1);
        }
        finally
        {
            if (merged is not null)
            {
                ArrayPool<byte>.Shared.Return(merged);
            }
        }
    }

    private void WriteRepeated(ProtoField field, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        // A packed occurrence may hold no value at all; Go then decodes a nil slice.
        var any = false;
        foreach (var o in found)
        {
            any |= o.Wire != WireType.Len || o.Length > 0 || field.Type is ProtoType.String or ProtoType.Bytes or ProtoType.Message;
        }

        if (!any)
        {
            WriteNil(field);
            return;
        }

        writer.WriteStartArray(field.JsonName);
        foreach (var o in found)
        {
            var bytes = o.Wire == WireType.Len ? data.Slice(o.Start, o.Length) : default;
            if (field.Type == ProtoType.Message)
            {
                WriteValue(field.Message!, bytes, depth + 1);
            }
            else if (o.Wire == WireType.Len && field.Type is not (ProtoType.String or ProtoType.Bytes))
            {
                var packed = new ProtoReader(bytes);
                while (!packed.End)
                {
                    var value = field.Type switch
                    {
                        ProtoType.Double => packed.ReadFixed64(),
                        ProtoType.Float => packed.ReadFixed32(),
                        _ => packed.ReadVarint(),
                    };
                    WriteScalar(field.Type, value, default);
                }
            }
            else
            {
                WriteScalar(field.Type, o.Value, bytes);
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>The bytes of a singular message field: one occurrence as is, several concatenated (protobuf's merge).</summary>
    private static ReadOnlySpan<byte> Merge(ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, ref byte[]? merged)
    {
        switch (found.Length)
        {
            case 0:
                return default;
            case 1:
                return data.Slice(found[0].Start, found[0].Length);
        }

        var total = 0;
        foreach (var o in found)
        {
            total += o.Length;
        }

        merged = ArrayPool<byte>.Shared.Rent(total);
        var at = 0;
        foreach (var o in found)
        {
            data.Slice(o.Start, o.Length).CopyTo(merged.AsSpan(at));
            at += o.Length;
        }

        return merged.AsSpan(0, total);
    }

    private void WriteScalar(ProtoType type, ulong value, ReadOnlySpan<byte> bytes)
    {
        switch (type)
        {
            case ProtoType.String:
                WriteString(bytes);
                break;
            case ProtoType.Bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case ProtoType.Bool:
                writer.WriteBooleanValue(value != 0);
                break;
            case ProtoType.Int32:
                writer.WriteNumberValue(unchecked((int)value));
                break;
            case ProtoType.Int64:
                writer.WriteNumberValue(unchecked((long)value));
                break;
            case ProtoType.UInt32:
                writer.WriteNumberValue(unchecked((uint)value));
                break;
            case ProtoType.UInt64:
                writer.WriteNumberValue(value);
                break;
            case ProtoType.Double:
                var d = BitConverter.UInt64BitsToDouble(value);
                writer.WriteNumberValue(double.IsFinite(d) ? d : throw new ProtobufFormatException($"json: unsupported value: {d}"));
                break;
            case ProtoType.Float:
                var f = BitConverter.UInt32BitsToSingle(unchecked((uint)value));
                writer.WriteNumberValue(float.IsFinite(f) ? f : throw new ProtobufFormatException($"json: unsupported value: {f}"));
                break;
            default:
                throw new InvalidOperationException($"not a scalar: {type}");
        }
    }

    private void WriteZero(ProtoType type)
    {
        switch (type)
        {
            case ProtoType.String:
                writer.WriteStringValue(""u8);
                break;
            case ProtoType.Bool:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNumberValue(0);
                break;
        }
    }

    private static bool IsZero(ProtoType type, ulong value, ReadOnlySpan<byte> bytes) => type switch
    {
        ProtoType.String or ProtoType.Bytes => bytes.IsEmpty,
        ProtoType.Double => BitConverter.UInt64BitsToDouble(value) == 0,
        ProtoType.Float => BitConverter.UInt32BitsToSingle(unchecked((uint)value)) == 0,
        ProtoType.Int32 or ProtoType.UInt32 => unchecked((uint)value) == 0,
        _ => value == 0,
    };

    /// <summary>A protobuf string as a JSON string; invalid UTF-8 becomes U+FFFD, as Go's encoder does.</summary>
    private void WriteString(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            writer.WriteStringValue(utf8);
        }
        else
        {
            writer.WriteStringValue(Encoding.UTF8.GetString(utf8));
        }
    }

    private static string DecodeString(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
