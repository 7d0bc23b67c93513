using System.Buffers.Binary;

namespace Kubesharp.Dns.Wire;

/// <summary>
/// Writes a DNS message into a caller's buffer, with name compression (RFC 1035 4.1.4). Writing past
/// <c>limit</c> never throws: it sets <see cref="Overflow"/> and leaves the bytes unwritten, so that the caller
/// can go back to the end of the last whole record (<see cref="Mark"/>, <see cref="Reset"/>) and set TC.
/// Compression looks names up linearly in a small table of the offsets of names already written: answers here
/// hold few distinct names, and a table scan allocates nothing.
/// </summary>
internal ref struct DnsWriter
{
    private readonly Span<byte> _buffer;
    private readonly Span<ushort> _table;
    private int _limit;
    private int _tableCount;

    public DnsWriter(Span<byte> buffer, int limit, Span<ushort> compressionTable)
    {
        _buffer = buffer;
        _limit = Math.Min(limit, buffer.Length);
        _table = compressionTable;
    }

    public int Position { get; private set; }

    public bool Overflow { get; private set; }

    public readonly ReadOnlySpan<byte> Written => _buffer[..Position];

    /// <summary>Changes the limit (e.g. to keep room for the OPT record at the end).</summary>
    public void SetLimit(int limit) => _limit = Math.Min(limit, _buffer.Length);

    public readonly (int Position, int Table) Mark() => (Position, _tableCount);

    public void Reset((int Position, int Table) mark)
    {
        Position = mark.Position;
        _tableCount = mark.Table;
        Overflow = false;
    }

    public void WriteUInt16(ushort value)
    {
        if (Reserve(2))
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Position..], value);
            Position += 2;
        }
    }

    public void WriteUInt32(uint value)
    {
        if (Reserve(4))
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer[Position..], value);
            Position += 4;
        }
    }

    public void WriteByte(byte value)
    {
        if (Reserve(1))
        {
            _buffer[Position++] = value;
        }
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        if (Reserve(bytes.Length))
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }
    }

    /// <summary>Overwrites a 16-bit value already written (section counts, RDLENGTH).</summary>
    public readonly void PatchUInt16(int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer[at..], value);

    /// <summary>A pointer to a name already in the message (the question's, at offset 12).</summary>
    public void WritePointer(int offset) => WriteUInt16((ushort)(0xC000 | offset));

    /// <summary>
    /// Writes an uncompressed wire name, replacing its longest suffix already in the message by a pointer, and
    /// remembers the suffixes it writes for later names. Labels are compared without regard to ASCII case, as
    /// names are (RFC 4343); the case of the first writing is what the reader sees.
    /// </summary>
    public void WriteName(scoped ReadOnlySpan<byte> wire)
    {
        var i = 0;
        while (i < wire.Length && wire[i] != 0)
        {
            var suffix = wire[i..];
            var found = Find(suffix);
            if (found >= 0)
            {
                WritePointer(found);
                return;
            }

            if (Position < 0x4000 && _tableCount < _table.Length && !Overflow)
            {
                _table[_tableCount++] = (ushort)Position;
            }

            WriteBytes(wire.Slice(i, 1 + wire[i]));
            i += 1 + wire[i];
        }

        WriteByte(0);
    }

    /// <summary>Records that a name (e.g. the question's) starts at <paramref name="offset"/>, with each of its suffixes.</summary>
    public void Remember(int offset, scoped ReadOnlySpan<byte> wire)
    {
        var i = 0;
        while (i < wire.Length && wire[i] != 0 && _tableCount < _table.Length && offset + i < 0x4000)
        {
            _table[_tableCount++] = (ushort)(offset + i);
            i += 1 + wire[i];
        }
    }

    /// <summary>Starts a resource record: owner, type, class IN, TTL; returns where RDLENGTH goes (<see cref="EndRecord"/>).</summary>
    public int BeginRecord(scoped ReadOnlySpan<byte> owner, ushort type, uint ttl)
    {
        WriteName(owner);
        return BeginRecordTail(type, ttl);
    }

    /// <summary>Starts a resource record whose owner is the name at <paramref name="ownerOffset"/>.</summary>
    public int BeginRecord(int ownerOffset, ushort type, uint ttl)
    {
        WritePointer(ownerOffset);
        return BeginRecordTail(type, ttl);
    }

    public void EndRecord(int rdLengthAt)
    {
        if (!Overflow)
        {
            PatchUInt16(rdLengthAt, (ushort)(Position - rdLengthAt - 2));
        }
    }

    private int BeginRecordTail(ushort type, uint ttl)
    {
        WriteUInt16(type);
        WriteUInt16(DnsLimits.ClassIn);
        WriteUInt32(ttl);
        var at = Position;
        WriteUInt16(0);
        return at;
    }

    private bool Reserve(int count)
    {
        if (Overflow || Position + count > _limit)
        {
            Overflow = true;
            return false;
        }

        return true;
    }

    private readonly int Find(scoped ReadOnlySpan<byte> suffix)
    {
        for (var t = 0; t < _tableCount; t++)
        {
            if (NameAtEquals(_table[t], suffix))
            {
                return _table[t];
            }
        }

        return -1;
    }

    /// <summary>Whether the (possibly compressed) name at <paramref name="offset"/> in the message equals <paramref name="wire"/>.</summary>
    private readonly bool NameAtEquals(int offset, scoped ReadOnlySpan<byte> wire)
    {
        var i = 0;
        var hops = 0;
        while (true)
        {
            var b = _buffer[offset];
            if ((b & 0xC0) == 0xC0)
            {
                if (++hops > 64)
                {
                    return false;
                }

                offset = ((b & 0x3F) << 8) | _buffer[offset + 1];
                continue;
            }

            if (b != wire[i])
            {
                return false;
            }

            if (b == 0)
            {
                return true;
            }

            if (!DnsName.LabelEquals(_buffer.Slice(offset + 1, b), wire.Slice(i + 1, b)))
            {
                return false;
            }

            offset += 1 + b;
            i += 1 + b;
        }
    }
}
