namespace Kubesharp.Api.Protobuf;

internal sealed partial class ProtoJsonWriter
{
    /// <summary>One entry of a protobuf map (a message with key = 1 and value = 2), with offsets into the enclosing message.</summary>
    private struct MapEntry
    {
        public string Key;
        public int Order;
        public bool HasValue;
        public WireType Wire;
        public int Start;
        public int Length;
        public ulong Value;
    }

    /// <summary>
    /// A <c>map&lt;string, T&gt;</c> as a JSON object: keys sorted as Go's encoder sorts them, the last entry of a
    /// repeated key wins (protobuf's rule), and an entry without a value holds the value type's zero.
    /// </summary>
    private void WriteMap(ProtoField field, ReadOnlySpan<byte> data, ReadOnlySpan<Occurrence> found, int depth)
    {
        if (found.IsEmpty)
        {
            WriteNil(field);
            return;
        }

        var entries = new MapEntry[found.Length];
        for (var i = 0; i < found.Length; i++)
        {
            entries[i] = ReadEntry(field, data, found[i], i);
        }

        Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key) is var c and not 0 ? c : a.Order.CompareTo(b.Order));
        writer.WriteStartObject(field.JsonName);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (i + 1 < entries.Length && entries[i + 1].Key == entry.Key)
            {
                continue;
            }

            writer.WritePropertyName(entry.Key);
            var bytes = entry.HasValue && entry.Wire == WireType.Len ? data.Slice(entry.Start, entry.Length) : default;
            if (field.Type == ProtoType.Message)
            {
                WriteValue(field.Message!, bytes, depth + 1);
            }
            else if (entry.HasValue)
            {
                WriteScalar(field.Type, entry.Value, bytes);
            }
            else if (field.Type == ProtoType.Bytes)
            {
                writer.WriteNullValue();
            }
            else
            {
                WriteZero(field.Type);
            }
        }

        writer.WriteEndObject();
    }

    private static MapEntry ReadEntry(ProtoField field, ReadOnlySpan<byte> data, Occurrence occurrence, int order)
    {
        var entry = new MapEntry { Key = "", Order = order };
        var bytes = data.Slice(occurrence.Start, occurrence.Length);
        var reader = new ProtoReader(bytes);
        while (!reader.End)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1)
            {
                if (wire != WireType.Len)
                {
                    throw new ProtobufFormatException($"proto: wrong wireType = {(int)wire} for map key of field {field.Name}");
                }

                var (start, length) = reader.ReadLengthDelimited();
                entry.Key = DecodeString(bytes.Slice(start, length));
            }
            else if (number == 2)
            {
                var expected = field.Type switch
                {
                    ProtoType.String or ProtoType.Bytes or ProtoType.Message => WireType.Len,
                    ProtoType.Double => WireType.Fixed64,
                    ProtoType.Float => WireType.Fixed32,
                    _ => WireType.Varint,
                };
                if (wire != expected)
                {
                    throw new ProtobufFormatException($"proto: wrong wireType = {(int)wire} for map value of field {field.Name}");
                }

                entry.HasValue = true;
                entry.Wire = wire;
                switch (wire)
                {
                    case WireType.Varint:
                        entry.Value = reader.ReadVarint();
                        break;
                    case WireType.Fixed64:
                        entry.Value = reader.ReadFixed64();
                        break;
                    case WireType.Fixed32:
                        entry.Value = reader.ReadFixed32();
                        break;
                    default:
                        var (start, length) = reader.ReadLengthDelimited();
                        (entry.Start, entry.Length) = (occurrence.Start + start, length);
                        break;
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return entry;
    }
}
