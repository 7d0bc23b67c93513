using System.Buffers;

namespace Kubesharp.Api.Protobuf;

internal sealed partial class ProtoJsonWriter
{
    /// <summary>One occurrence of a known field on the wire: its field's index in the message, and its value or bytes.</summary>
    private struct Occurrence
    {
        public int Field;
        public WireType Wire;
        public int Start;
        public int Length;
        public ulong Value;
    }

    /// <summary>
    /// Reads every field of a message once and returns the known ones grouped by field index, each group in wire
    /// order (a counting sort: linear whatever the order on the wire). The array is rented; return it.
    /// </summary>
    private static Occurrence[] Scan(ProtoMessage message, ReadOnlySpan<byte> data, out int count)
    {
        var found = ArrayPool<Occurrence>.Shared.Rent(16);
        count = 0;
        var reader = new ProtoReader(data);
        try
        {
            while (!reader.End)
            {
                var (number, wire) = reader.ReadTag();
                var index = message.IndexOf(number);
                if (index < 0)
                {
                    // Unknown fields are skipped, as gogo-protobuf's generated decoders do.
                    reader.Skip(wire);
                    continue;
                }

                CheckWire(message.Fields[index], wire);
                var o = new Occurrence { Field = index, Wire = wire };
                switch (wire)
                {
                    case WireType.Varint:
                        o.Value = reader.ReadVarint();
                        break;
                    case WireType.Fixed64:
                        o.Value = reader.ReadFixed64();
                        break;
                    case WireType.Fixed32:
                        o.Value = reader.ReadFixed32();
                        break;
                    default:
                        (o.Start, o.Length) = reader.ReadLengthDelimited();
                        break;
                }

                if (count == found.Length)
                {
                    var larger = ArrayPool<Occurrence>.Shared.Rent(found.Length * 2);
                    found.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<Occurrence>.Shared.Return(found);
                    found = larger;
                }

                found[count++] = o;
            }
        }
        catch
        {
            ArrayPool<Occurrence>.Shared.Return(found);
            throw;
        }

        return SortByField(found, count, message.Fields.Length);
    }

    private static Occurrence[] SortByField(Occurrence[] found, int count, int fields)
    {
        var sorted = true;
        for (var i = 1; i < count && sorted; i++)
        {
            sorted = found[i - 1].Field <= found[i].Field;
        }

        if (sorted)
        {
            return found;
        }

        var starts = ArrayPool<int>.Shared.Rent(fields + 1);
        var result = ArrayPool<Occurrence>.Shared.Rent(count);
        try
        {
            Array.Clear(starts, 0, fields + 1);
            for (var i = 0; i < count; i++)
            {
                starts[found[i].Field + 1]++;
            }

            for (var f = 1; f <= fields; f++)
            {
                starts[f] += starts[f - 1];
            }

            for (var i = 0; i < count; i++)
            {
                result[starts[found[i].Field]++] = found[i];
            }

            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(starts);
            ArrayPool<Occurrence>.Shared.Return(found);
        }
    }

    /// <summary>The wire type a field's type allows: as gogo-protobuf, a mismatch is an error, not a skip.</summary>
    private static void CheckWire(ProtoField field, WireType wire)
    {
        var repeated = field.Cardinality == ProtoCardinality.Repeated;
        var ok = field.Cardinality == ProtoCardinality.Map
            ? wire == WireType.Len
            : field.Type switch
            {
                ProtoType.String or ProtoType.Bytes or ProtoType.Message => wire == WireType.Len,
                ProtoType.Double => wire == WireType.Fixed64 || (repeated && wire == WireType.Len),
                ProtoType.Float => wire == WireType.Fixed32 || (repeated && wire == WireType.Len),
                _ => wire == WireType.Varint || (repeated && wire == WireType.Len),
            };
        if (!ok)
        {
            throw new ProtobufFormatException($"proto: wrong wireType = {(int)wire} for field {field.Name}");
        }
    }

    /// <summary>The occurrences of the field with this number (special messages, whose numbers are upstream facts).</summary>
    private static ReadOnlySpan<Occurrence> Of(ProtoMessage message, ReadOnlySpan<Occurrence> found, int number)
    {
        var index = message.IndexOf(number);
        var start = 0;
        while (start < found.Length && found[start].Field < index)
        {
            start++;
        }

        var end = start;
        while (end < found.Length && found[end].Field == index)
        {
            end++;
        }

        return found[start..end];
    }
}
