using System.Buffers.Binary;

namespace Kubesharp.Api.Protobuf;

/// <summary>The wire types of the protobuf encoding (the low three bits of a tag).</summary>
internal enum WireType : byte
{
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// A forward reader of the protobuf wire format over one message's bytes. Every read is bounds-checked and
/// throws <see cref="ProtobufFormatException"/> on truncated or malformed input, with the messages of
/// gogo-protobuf's generated decoders where there is one.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private const int MaxGroupDepth = 64;

    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; private set; }

    public readonly bool End => Position >= _data.Length;

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (Position >= _data.Length)
            {
                throw new ProtobufFormatException("unexpected EOF");
            }

            var b = _data[Position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new ProtobufFormatException("proto: integer overflow");
    }

    /// <summary>The next tag: a field number above zero and a wire type.</summary>
    public (int Field, WireType Wire) ReadTag()
    {
        var tag = ReadVarint();
        var field = tag >> 3;
        if (field == 0 || field > 536_870_911)
        {
            throw new ProtobufFormatException($"proto: illegal tag {field} (wire type {tag & 7})");
        }

        var wire = (WireType)(tag & 7);
        if (wire > WireType.Fixed32)
        {
            throw new ProtobufFormatException($"proto: illegal wireType {(int)wire}");
        }

        return ((int)field, wire);
    }

    /// <summary>A length-delimited value; returns its offset in the message and its length.</summary>
    public (int Start, int Length) ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - Position))
        {
            throw new ProtobufFormatException("unexpected EOF");
        }

        var start = Position;
        Position += (int)length;
        return (start, (int)length);
    }

    public ulong ReadFixed64()
    {
        if (_data.Length - Position < 8)
        {
            throw new ProtobufFormatException("unexpected EOF");
        }

        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[Position..]);
        Position += 8;
        return value;
    }

    public uint ReadFixed32()
    {
        if (_data.Length - Position < 4)
        {
            throw new ProtobufFormatException("unexpected EOF");
        }

        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[Position..]);
        Position += 4;
        return value;
    }

    /// <summary>Skips the value of a field the schema does not know, as gogo-protobuf's <c>skipGenerated</c> does.</summary>
    public void Skip(WireType wire) => Skip(wire, 0);

    private void Skip(WireType wire, int depth)
    {
        switch (wire)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                ReadFixed64();
                break;
            case WireType.Len:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                ReadFixed32();
                break;
            case WireType.StartGroup:
                if (depth >= MaxGroupDepth)
                {
                    throw new ProtobufFormatException("proto: groups nested too deep");
                }

                while (true)
                {
                    var (_, inner) = ReadTag();
                    if (inner == WireType.EndGroup)
                    {
                        return;
                    }

                    Skip(inner, depth + 1);
                }

            default:
                throw new ProtobufFormatException("proto: unexpected end of group");
        }
    }
}
