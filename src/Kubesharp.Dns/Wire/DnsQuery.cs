using System.Buffers.Binary;

namespace Kubesharp.Dns.Wire;

/// <summary>What <see cref="DnsQuery.TryParse"/> made of a packet.</summary>
internal enum QueryParse
{
    /// <summary>A well-formed query with one question.</summary>
    Ok,

    /// <summary>Not answerable: shorter than a header, or a response (QR set; answering it could start a loop between servers).</summary>
    Drop,

    /// <summary>The header is readable but the rest is not a well-formed query: answer FORMERR.</summary>
    FormErr,

    /// <summary>An opcode other than QUERY: answer NOTIMP.</summary>
    NotImp,
}

/// <summary>
/// One parsed query: header fields, the question (its name both as uncompressed wire bytes, with the case the client
/// used, and as lower-cased dotted text for lookups), and the EDNS0 OPT record if any. Parsing never allocates and
/// never throws for any input: every length and pointer is checked against the packet.
/// </summary>
internal ref struct DnsQuery
{
    /// <summary>Longest dotted text of a name: 255 wire bytes give at most 253 characters.</summary>
    public const int MaxTextLength = 256;

    public ushort Id;
    public ushort Flags;
    public ushort QType;
    public ushort QClass;

    /// <summary>The question name as uncompressed wire labels ending with the root label, case as asked.</summary>
    public ReadOnlySpan<byte> NameWire;

    /// <summary>The question name lower-cased, labels joined by dots, no trailing dot ("" for the root).</summary>
    public ReadOnlySpan<char> NameText;

    /// <summary>False when a label holds a dot or a byte outside printable ASCII: the text form is then ambiguous.</summary>
    public bool NameTextExact;

    public bool HasEdns;
    public ushort EdnsUdpSize;
    public byte EdnsVersion;
    public bool EdnsDo;

    public readonly bool RecursionDesired => (Flags & 0x0100) != 0;

    public readonly int Opcode => (Flags >> 11) & 0xF;

    /// <summary>
    /// Parses <paramref name="packet"/>. <paramref name="nameBuffer"/> (at least 255 bytes) and <paramref name="textBuffer"/>
    /// (at least <see cref="MaxTextLength"/> chars) receive the name. <see cref="Id"/> and <see cref="Flags"/> are set
    /// whenever the result is not <see cref="QueryParse.Drop"/>, so that an error answer can be written.
    /// </summary>
    public static QueryParse TryParse(ReadOnlySpan<byte> packet, Span<byte> nameBuffer, Span<char> textBuffer, out DnsQuery query)
    {
        query = default;
        if (packet.Length < DnsLimits.HeaderSize)
        {
            return QueryParse.Drop;
        }

        query.Id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        query.Flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if ((query.Flags & 0x8000) != 0)
        {
            return QueryParse.Drop;
        }

        if (query.Opcode != 0)
        {
            return QueryParse.NotImp;
        }

        var qd = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        var an = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        var ns = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        var ar = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if (qd != 1)
        {
            return QueryParse.FormErr;
        }

        var offset = DnsLimits.HeaderSize;
        if (!DnsName.TryRead(packet, ref offset, nameBuffer, out var nameLength) || offset + 4 > packet.Length)
        {
            return QueryParse.FormErr;
        }

        query.NameWire = nameBuffer[..nameLength];
        query.QType = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        query.QClass = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        offset += 4;
        var textLength = DnsName.ToText(query.NameWire, textBuffer, out query.NameTextExact);
        query.NameText = textBuffer[..textLength];

        // Answer and authority records have no business in a query, but are legal on the wire: skip them.
        for (var i = 0; i < an + ns; i++)
        {
            if (!SkipRecord(packet, ref offset, out _, out _))
            {
                return QueryParse.FormErr;
            }
        }

        Span<byte> scratch = stackalloc byte[DnsLimits.MaxNameLength];
        for (var i = 0; i < ar; i++)
        {
            if (!DnsName.TryRead(packet, ref offset, scratch, out var ownerLength) || offset + 10 > packet.Length)
            {
                return QueryParse.FormErr;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
            var rdLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
            if (offset + 10 + rdLength > packet.Length)
            {
                return QueryParse.FormErr;
            }

            if (type == DnsType.OPT)
            {
                // RFC 6891 6.1.1: one OPT at most, owned by the root.
                if (query.HasEdns || ownerLength != 1)
                {
                    return QueryParse.FormErr;
                }

                query.HasEdns = true;
                query.EdnsUdpSize = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
                query.EdnsVersion = packet[offset + 5];
                query.EdnsDo = (packet[offset + 6] & 0x80) != 0;
            }

            offset += 10 + rdLength;
        }

        return QueryParse.Ok;
    }

    private static bool SkipRecord(ReadOnlySpan<byte> packet, ref int offset, out ushort type, out int rdLength)
    {
        type = 0;
        rdLength = 0;
        Span<byte> scratch = stackalloc byte[DnsLimits.MaxNameLength];
        if (!DnsName.TryRead(packet, ref offset, scratch, out _) || offset + 10 > packet.Length)
        {
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        rdLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
        if (offset + 10 + rdLength > packet.Length)
        {
            return false;
        }

        offset += 10 + rdLength;
        return true;
    }
}
