namespace Kubesharp.Dns.Wire;

internal enum Section
{
    Answer,
    Authority,
    Additional,
}

/// <summary>
/// Builds a response on a <see cref="DnsWriter"/>: header, the question echoed as asked, the three sections, and the
/// OPT record when the query had one. A record that does not fit is dropped whole; a dropped answer or authority
/// record sets TC (a dropped additional record does not: the answer is still complete), and nothing more is added
/// to that section or the ones after it.
/// </summary>
internal ref struct ResponseBuilder
{
    public const int QuestionOffset = DnsLimits.HeaderSize;
    private const int OptSize = 11;

    public DnsWriter Writer;
    private readonly int _limit;
    private readonly bool _edns;
    private int _answers;
    private int _authority;
    private int _additional;
    private bool _full;
    private (int Position, int Table) _mark;

    public ResponseBuilder(Span<byte> buffer, int limit, Span<ushort> compression, bool edns)
    {
        Writer = new DnsWriter(buffer, limit, compression);
        _limit = limit;
        _edns = edns;
    }

    public bool Truncated { get; private set; }

    public readonly int Answers => _answers;

    /// <summary>Writes the header (completed by <see cref="Finish"/>) and, when given, the question.</summary>
    public void Start(ushort id, ReadOnlySpan<byte> questionName, ushort qtype, ushort qclass)
    {
        Writer.WriteUInt16(id);
        Writer.WriteUInt16(0);
        Writer.WriteUInt32(0);
        Writer.WriteUInt32(0);
        if (!questionName.IsEmpty)
        {
            Writer.Remember(QuestionOffset, questionName);
            Writer.WriteBytes(questionName);
            Writer.WriteUInt16(qtype);
            Writer.WriteUInt16(qclass);
            Writer.PatchUInt16(4, 1);
        }

        if (_edns)
        {
            Writer.SetLimit(_limit - OptSize);
        }
    }

    /// <summary>Whether another record may be added; false after a record did not fit.</summary>
    public readonly bool CanAdd => !_full;

    /// <summary>Call before writing a record.</summary>
    public void BeginRecord() => _mark = Writer.Mark();

    /// <summary>Call after writing a record: counts it, or drops it if it did not fit.</summary>
    public void EndRecord(Section section)
    {
        if (_full)
        {
            Writer.Reset(_mark);
            return;
        }

        if (Writer.Overflow)
        {
            Writer.Reset(_mark);
            _full = true;
            if (section != Section.Additional)
            {
                Truncated = true;
            }

            return;
        }

        switch (section)
        {
            case Section.Answer:
                _answers++;
                break;
            case Section.Authority:
                _authority++;
                break;
            default:
                _additional++;
                break;
        }
    }

    /// <summary>Completes flags and counts, appends OPT when the query had EDNS, and returns the message length.</summary>
    public int Finish(ushort requestFlags, int rcode, bool authoritative, bool recursionAvailable, bool ednsDo, ushort ednsSize)
    {
        var flags = 0x8000 | (requestFlags & 0x0100) | (rcode & 0xF);
        if (authoritative)
        {
            flags |= 0x0400;
        }

        if (recursionAvailable)
        {
            flags |= 0x0080;
        }

        if (Truncated)
        {
            flags |= 0x0200;
        }

        var additional = _additional;
        if (_edns)
        {
            Writer.SetLimit(_limit);
            Writer.WriteByte(0);
            Writer.WriteUInt16(DnsType.OPT);
            Writer.WriteUInt16(ednsSize);
            Writer.WriteByte((byte)(rcode >> 4));
            Writer.WriteByte(0);
            Writer.WriteUInt16(ednsDo ? (ushort)0x8000 : (ushort)0);
            Writer.WriteUInt16(0);
            additional++;
        }

        Writer.PatchUInt16(2, (ushort)flags);
        Writer.PatchUInt16(6, (ushort)_answers);
        Writer.PatchUInt16(8, (ushort)_authority);
        Writer.PatchUInt16(10, (ushort)additional);
        return Writer.Position;
    }
}
