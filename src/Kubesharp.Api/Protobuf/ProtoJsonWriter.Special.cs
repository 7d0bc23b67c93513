using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Kubesharp.Api.Protobuf;

internal sealed partial class ProtoJsonWriter
{
    // time.Time{} as Unix seconds (0001-01-01T00:00:00Z), and the last second .NET can represent (9999-12-31T23:59:59Z).
    private const long GoZeroTimeSeconds = -62_135_596_800;
    private const long LastSupportedSeconds = 253_402_300_799;

    // Embedded JSON nests at most this deep; with MaxDepth messages around it the document stays far below the
    // writer's limit (1,000), and the server's own parse of the result applies its limit after that.
    private const int RawJsonMaxDepth = 128;

    /// <summary>
    /// The messages with their own JSON form, as upstream's <c>MarshalJSON</c> methods write them. Field numbers
    /// are upstream's (<c>generated.proto</c>), read through the schema so that the wire types are checked.
    /// </summary>
    private void WriteSpecial(ProtoMessage message, ReadOnlySpan<byte> data, int depth)
    {
        var found = Scan(message, data, out var count);
        try
        {
            var all = found.AsSpan(0, count);
            switch (message.Special)
            {
                case SpecialKind.Time or SpecialKind.MicroTime when data.IsEmpty:
                    // Go marshals a zero Time as an empty message, and reads an empty message back as zero.
                    writer.WriteNullValue();
                    break;
                case SpecialKind.Time:
                    // Upstream's Time.Unmarshal drops the nanoseconds: JSON clients only ever had whole seconds.
                    WriteTime(Last(message, all, 1) is { } s ? unchecked((long)s.Value) : 0, 0, micro: false);
                    break;
                case SpecialKind.MicroTime:
                    WriteTime(
                        Last(message, all, 1) is { } seconds ? unchecked((long)seconds.Value) : 0,
                        Last(message, all, 2) is { } nanos ? unchecked((int)nanos.Value) : 0,
                        micro: true);
                    break;
                case SpecialKind.Duration:
                    writer.WriteStringValue(GoDuration.Format(Last(message, all, 1) is { } d ? unchecked((long)d.Value) : 0));
                    break;
                case SpecialKind.Quantity:
                    // Written as sent, as the JSON path keeps it; the zero Quantity's JSON is "0".
                    if (Last(message, all, 1) is { } q)
                    {
                        WriteString(data.Slice(q.Start, q.Length));
                    }
                    else
                    {
                        writer.WriteStringValue("0"u8);
                    }

                    break;
                case SpecialKind.IntOrString:
                    WriteIntOrString(message, data, all);
                    break;
                case SpecialKind.RawExtension:
                case SpecialKind.RawJson:
                    WriteRaw(message, data, all, depth);
                    break;
                case SpecialKind.List:
                    WriteStrings(data, Of(message, all, 1));
                    break;
                case SpecialKind.OrBool:
                    // JSONSchemaPropsOrBool: the schema when there is one, else the boolean.
                    if (Of(message, all, 2) is { IsEmpty: false } schema)
                    {
                        WriteMerged(message.Field(2).Message!, data, schema, depth);
                    }
                    else
                    {
                        writer.WriteBooleanValue(Last(message, all, 1) is { } allows && allows.Value != 0);
                    }

                    break;
                case SpecialKind.OrArray:
                    // JSONSchemaPropsOrArray: the array when it has items, else the schema (null when none).
                    WriteSchemaOr(message, data, all, depth, arrayIsStrings: false);
                    break;
                case SpecialKind.OrStringArray:
                    // JSONSchemaPropsOrStringArray: the strings when there are some, else the schema (null when none).
                    WriteSchemaOr(message, data, all, depth, arrayIsStrings: true);
                    break;
                default:
                    throw new InvalidOperationException($"{message.Name} ({message.Special}) cannot be written as a value");
            }
        }
        finally
        {
            ArrayPool<Occurrence>.Shared.Return(found);
        }
    }

    private static Occurrence? Last(ProtoMessage message, ReadOnlySpan<Occurrence> found, int number) =>
        Of(message, found, number) is { IsEmpty: false } all ? all[^1] : null;

    private void WriteTime(long seconds, long nanos, bool micro)
    {
        // time.Unix(seconds, nanos) normalises nanoseconds outside [0, 1e9).
        seconds += nanos / 1_000_000_000;
        nanos %= 1_000_000_000;
        if (nanos < 0)
        {
            nanos += 1_000_000_000;
            seconds--;
        }

        if (seconds == GoZeroTimeSeconds && nanos == 0)
        {
            writer.WriteNullValue();
            return;
        }

        if (seconds is < GoZeroTimeSeconds or > LastSupportedSeconds)
        {
            throw new ProtobufFormatException("Time.MarshalJSON: year outside of range [1,9999]");
        }

        var time = DateTime.UnixEpoch.AddTicks((seconds * TimeSpan.TicksPerSecond) + (nanos / 100));
        writer.WriteStringValue(time.ToString(micro ? "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'" : "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }

    private void WriteIntOrString(ProtoMessage message, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found)
    {
        var type = Last(message, found, 1) is { } t ? unchecked((long)t.Value) : 0;
        switch (type)
        {
            case 0:
                writer.WriteNumberValue(Last(message, found, 2) is { } i ? unchecked((int)i.Value) : 0);
                break;
            case 1:
                if (Last(message, found, 3) is { } s)
                {
                    WriteString(data.Slice(s.Start, s.Length));
                }
                else
                {
                    writer.WriteStringValue(""u8);
                }

                break;
            default:
                throw new ProtobufFormatException("impossible IntOrString.Type");
        }
    }

    /// <summary>
    /// RawExtension, FieldsV1 and apiextensions' JSON: the bytes are JSON and are written as they are. A
    /// RawExtension may also hold an enveloped protobuf object, which a protobuf encoder of nested objects writes.
    /// </summary>
    private void WriteRaw(ProtoMessage message, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        if (Last(message, found, 1) is not { Length: > 0 } raw)
        {
            writer.WriteNullValue();
            return;
        }

        var bytes = data.Slice(raw.Start, raw.Length);
        if (message.Special == SpecialKind.RawExtension && bytes.StartsWith(ProtoEnvelope.Magic))
        {
            WriteEnvelope(ProtoEnvelope.Parse(bytes), depth + 1);
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = RawJsonMaxDepth });
        }
        catch (JsonException e)
        {
            throw new ProtobufFormatException($"json: error calling MarshalJSON for type {message.Name}: the embedded bytes are not valid JSON", e);
        }

        // Go's encoder compacts what MarshalJSON returns.
        using (document)
        {
            document.RootElement.WriteTo(writer);
        }
    }

    private void WriteStrings(ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> items)
    {
        if (items.IsEmpty)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartArray();
        foreach (var item in items)
        {
            WriteString(data.Slice(item.Start, item.Length));
        }

        writer.WriteEndArray();
    }

    private void WriteSchemaOr(ProtoMessage message, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth, bool arrayIsStrings)
    {
        var items = Of(message, found, 2);
        if (!items.IsEmpty)
        {
            if (arrayIsStrings)
            {
                WriteStrings(data, items);
                return;
            }

            var itemMessage = message.Field(2).Message!;
            writer.WriteStartArray();
            foreach (var item in items)
            {
                WriteValue(itemMessage, data.Slice(item.Start, item.Length), depth + 1);
            }

            writer.WriteEndArray();
            return;
        }

        if (Of(message, found, 1) is { IsEmpty: false } schema)
        {
            WriteMerged(message.Field(1).Message!, data, schema, depth);
            return;
        }

        writer.WriteNullValue();
    }

    private void WriteMerged(ProtoMessage message, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        byte[]? merged = null;
        try
        {
            WriteValue(message, Merge(data, found, ref merged), depth + 1);
        }
        finally
        {
            if (merged is not null)
            {
                ArrayPool<byte>.Shared.Return(merged);
            }
        }
    }

    /// <summary>Whether a list wrapper (<c>{ repeated string items = 1; }</c>) holds no item: Go's omitempty then drops it.</summary>
    private static bool ListIsEmpty(ProtoMessage message, ReadOnlySpan<byte> data)
    {
        var found = Scan(message, data, out var count);
        try
        {
            return Of(message, found.AsSpan(0, count), 1).IsEmpty;
        }
        finally
        {
            ArrayPool<Occurrence>.Shared.Return(found);
        }
    }
}
