using Kubesharp.Dns.Wire;
using Kubesharp.Dns.Zone;

namespace Kubesharp.Dns.Server;

internal enum HandleOutcome
{
    /// <summary>The response is in the buffer.</summary>
    Respond,

    /// <summary>Nothing to send (unreadable header, or a response packet).</summary>
    Drop,

    /// <summary>Not the cluster's name: forward the query upstream.</summary>
    Forward,
}

/// <summary>Counters of what the server did, read by tests, the benchmark and logs.</summary>
public sealed class DnsCounters
{
    private long _queries;
    private long _forwarded;
    private long _formErrors;
    private long _dropped;
    private long _forwardFailures;
    private long _refused;

    public long Queries => Interlocked.Read(ref _queries);

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long FormErrors => Interlocked.Read(ref _formErrors);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long ForwardFailures => Interlocked.Read(ref _forwardFailures);

    /// <summary>Queries refused because too many forwards were in flight, or TCP connections closed at once because too many were open.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    internal void Query() => Interlocked.Increment(ref _queries);

    internal void Forward() => Interlocked.Increment(ref _forwarded);

    internal void FormError() => Interlocked.Increment(ref _formErrors);

    internal void Drop() => Interlocked.Increment(ref _dropped);

    internal void ForwardFailure() => Interlocked.Increment(ref _forwardFailures);

    internal void Refuse() => Interlocked.Increment(ref _refused);
}

/// <summary>
/// Turns one query packet into a response, synchronously, with bounded work: the cluster zone answers from memory,
/// reverse names of cluster addresses get PTR, everything else is handed back as <see cref="HandleOutcome.Forward"/>
/// (CoreDNS's <c>fallthrough in-addr.arpa ip6.arpa</c> then <c>forward . /etc/resolv.conf</c>). Thread-safe; never throws
/// for any input.
/// </summary>
internal sealed class QueryHandler(ZoneResponder zone, DnsCounters counters)
{
    private const int CompressionEntries = 128;

    public DnsCounters Counters => counters;

    /// <summary>
    /// Handles <paramref name="packet"/>; <paramref name="response"/> must hold <see cref="DnsLimits.MaxMessageSize"/>
    /// bytes. <paramref name="tcp"/> lifts the UDP size limit (512 bytes, or the EDNS size up to 4096).
    /// </summary>
    public HandleOutcome Handle(ReadOnlySpan<byte> packet, Span<byte> response, bool tcp, out int length)
    {
        length = 0;
        Span<byte> nameBuffer = stackalloc byte[DnsLimits.MaxNameLength];
        Span<char> textBuffer = stackalloc char[DnsQuery.MaxTextLength];
        var parse = DnsQuery.TryParse(packet, nameBuffer, textBuffer, out var q);
        switch (parse)
        {
            case QueryParse.Drop:
                counters.Drop();
                return HandleOutcome.Drop;
            case QueryParse.FormErr:
                counters.FormError();
                length = HeaderOnly(response, q.Id, q.Flags, DnsRcode.FormErr);
                return HandleOutcome.Respond;
            case QueryParse.NotImp:
                length = HeaderOnly(response, q.Id, q.Flags, DnsRcode.NotImp);
                return HandleOutcome.Respond;
            default:
                break;
        }

        counters.Query();
        var limit = Limit(in q, tcp);
        Span<ushort> table = stackalloc ushort[CompressionEntries];
        var b = new ResponseBuilder(response, limit, table, q.HasEdns);
        b.Start(q.Id, q.NameWire, q.QType, q.QClass);
        var ednsSize = (ushort)Math.Clamp((int)q.EdnsUdpSize, DnsLimits.ClassicUdpSize, DnsLimits.MaxUdpSize);
        if (q.HasEdns && q.EdnsVersion > 0)
        {
            // RFC 6891 6.1.3: only version 0 is known.
            length = b.Finish(q.Flags, DnsRcode.BadVers, false, false, q.EdnsDo, ednsSize);
            return HandleOutcome.Respond;
        }

        if (zone.InZone(q.NameText))
        {
            int rcode;
            if (q.QClass != DnsLimits.ClassIn || q.QType is DnsType.AXFR or DnsType.IXFR)
            {
                rcode = DnsRcode.Refused;
            }
            else if (!zone.Zone.Synced)
            {
                rcode = DnsRcode.ServFail;
            }
            else
            {
                rcode = zone.Answer(ref b, in q);
            }

            length = b.Finish(q.Flags, rcode, rcode is DnsRcode.NoError or DnsRcode.NxDomain, false, q.EdnsDo, ednsSize);
            return HandleOutcome.Respond;
        }

        if (q.QType == DnsType.PTR && q.QClass == DnsLimits.ClassIn && zone.Zone.Synced && zone.TryAnswerReverse(ref b, in q))
        {
            length = b.Finish(q.Flags, DnsRcode.NoError, true, false, q.EdnsDo, ednsSize);
            return HandleOutcome.Respond;
        }

        counters.Forward();
        return HandleOutcome.Forward;
    }

    /// <summary>An answer with <paramref name="rcode"/>, the question and OPT echoed, no records (SERVFAIL or REFUSED for a forward).</summary>
    public static int ErrorFor(ReadOnlySpan<byte> packet, Span<byte> response, int rcode, bool tcp)
    {
        Span<byte> nameBuffer = stackalloc byte[DnsLimits.MaxNameLength];
        Span<char> textBuffer = stackalloc char[DnsQuery.MaxTextLength];
        if (DnsQuery.TryParse(packet, nameBuffer, textBuffer, out var q) != QueryParse.Ok)
        {
            return 0;
        }

        Span<ushort> table = stackalloc ushort[8];
        var b = new ResponseBuilder(response, Limit(in q, tcp), table, q.HasEdns);
        b.Start(q.Id, q.NameWire, q.QType, q.QClass);
        return b.Finish(q.Flags, rcode, false, true, q.EdnsDo, (ushort)Math.Clamp((int)q.EdnsUdpSize, DnsLimits.ClassicUdpSize, DnsLimits.MaxUdpSize));
    }

    private static int Limit(scoped in DnsQuery q, bool tcp) =>
        tcp ? DnsLimits.MaxMessageSize
        : q.HasEdns ? Math.Clamp((int)q.EdnsUdpSize, DnsLimits.ClassicUdpSize, DnsLimits.MaxUdpSize)
        : DnsLimits.ClassicUdpSize;

    private static int HeaderOnly(Span<byte> response, ushort id, ushort flags, int rcode)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(response, id);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(response[2..], (ushort)(0x8000 | (flags & 0x7900) | rcode));
        response[4..DnsLimits.HeaderSize].Clear();
        return DnsLimits.HeaderSize;
    }
}
