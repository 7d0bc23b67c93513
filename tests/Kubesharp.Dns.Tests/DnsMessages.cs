using System.Buffers.Binary;
using System.Net;
using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Tests;

/// <summary>A decoded response: header fields and each section's records as readable text.</summary>
internal sealed record DnsResponse(ushort Id, int Rcode, bool Authoritative, bool Truncated, bool RecursionDesired, string? Question, List<string> Answers, List<string> Authority, List<string> Additional, int Length)
{
    public int? EdnsSize { get; init; }

    public int ExtendedRcode { get; init; }
}

/// <summary>Builds query packets and decodes responses, independently of the server's own writer.</summary>
internal static class DnsMessages
{
    public static byte[] Query(string name, ushort type, ushort id = 0x1234, ushort? ednsSize = null, bool recursionDesired = true, byte ednsVersion = 0)
    {
        var buffer = new byte[600];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), recursionDesired ? (ushort)0x0100 : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), ednsSize is null ? (ushort)0 : (ushort)1);
        var n = 12 + DnsName.Encode(name, buffer.AsSpan(12));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n), type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n + 2), 1);
        n += 4;
        if (ednsSize is { } size)
        {
            buffer[n++] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n), DnsType.OPT);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(n + 2), size);
            buffer[n + 4] = 0;
            buffer[n + 5] = ednsVersion;
            n += 10;
        }

        return buffer[..n];
    }

    public static DnsResponse Parse(ReadOnlySpan<byte> packet)
    {
        var m = packet.ToArray();
        var id = BinaryPrimitives.ReadUInt16BigEndian(m);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(2));
        Assert.True((flags & 0x8000) != 0, "QR must be set in a response");
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4)), an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6)), ns = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(8)), ar = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(10));
        var offset = 12;
        string? question = null;
        for (var i = 0; i < qd; i++)
        {
            question = ReadName(m, ref offset) + " " + BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset));
            offset += 4;
        }

        int? ednsSize = null;
        var extended = 0;
        List<string> Section(int count, ref int offset, bool additional, ref int? edns, ref int ext)
        {
            var list = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var owner = ReadName(m, ref offset);
                var type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset));
                var klass = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset + 2));
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(offset + 4));
                var rdLength = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset + 8));
                offset += 10;
                var rdStart = offset;
                if (type == DnsType.OPT && additional)
                {
                    edns = klass;
                    ext = (int)(ttl >> 24);
                    offset += rdLength;
                    continue;
                }

                var data = type switch
                {
                    DnsType.A or DnsType.AAAA => new IPAddress(m.AsSpan(offset, rdLength)).ToString(),
                    DnsType.CNAME or DnsType.PTR or DnsType.NS => ReadName(m, ref offset),
                    DnsType.SRV => $"{BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset))} {BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset + 2))} {BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(offset + 4))} {ReadNameAt(m, offset + 6)}",
                    DnsType.SOA => Soa(m, offset),
                    DnsType.TXT => System.Text.Encoding.ASCII.GetString(m.AsSpan(offset + 1, m[offset])),
                    _ => Convert.ToHexString(m.AsSpan(offset, rdLength)),
                };
                list.Add($"{owner} {ttl} {TypeName(type)} {data}");
                offset = rdStart + rdLength;
            }

            return list;
        }

        var answers = Section(an, ref offset, false, ref ednsSize, ref extended);
        var authority = Section(ns, ref offset, false, ref ednsSize, ref extended);
        var extra = Section(ar, ref offset, true, ref ednsSize, ref extended);
        Assert.Equal(m.Length, offset);
        return new DnsResponse(id, flags & 0xF, (flags & 0x0400) != 0, (flags & 0x0200) != 0, (flags & 0x0100) != 0, question, answers, authority, extra, m.Length)
        {
            EdnsSize = ednsSize,
            ExtendedRcode = extended,
        };
    }

    private static string Soa(ReadOnlySpan<byte> m, int offset)
    {
        var mname = ReadName(m, ref offset);
        var rname = ReadName(m, ref offset);
        var values = new uint[5];
        for (var i = 0; i < 5; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt32BigEndian(m[(offset + (4 * i))..]);
        }

        return $"{mname} {rname} serial {values[1]} {values[2]} {values[3]} {values[4]}";
    }

    private static string TypeName(ushort type) => type switch
    {
        DnsType.A => "A",
        DnsType.AAAA => "AAAA",
        DnsType.CNAME => "CNAME",
        DnsType.PTR => "PTR",
        DnsType.NS => "NS",
        DnsType.SRV => "SRV",
        DnsType.SOA => "SOA",
        DnsType.TXT => "TXT",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string ReadNameAt(ReadOnlySpan<byte> m, int offset) => ReadName(m, ref offset);

    /// <summary>Reads a name with the case it has on the wire, following pointers, as "a.b.c.".</summary>
    public static string ReadName(ReadOnlySpan<byte> m, ref int offset)
    {
        Span<byte> wire = stackalloc byte[255];
        Assert.True(DnsName.TryRead(m, ref offset, wire, out var length), "a well-formed name");
        var parts = new List<string>();
        var i = 0;
        while (wire[i] != 0)
        {
            parts.Add(System.Text.Encoding.ASCII.GetString(wire.Slice(i + 1, wire[i])));
            i += 1 + wire[i];
        }

        _ = length;
        return string.Join(".", parts) + ".";
    }
}
