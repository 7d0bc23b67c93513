namespace Kubesharp.Dns.Wire;

/// <summary>Resource record types this server reads or writes (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6891).</summary>
internal static class DnsType
{
    public const ushort A = 1;
    public const ushort NS = 2;
    public const ushort CNAME = 5;
    public const ushort SOA = 6;
    public const ushort PTR = 12;
    public const ushort TXT = 16;
    public const ushort AAAA = 28;
    public const ushort SRV = 33;
    public const ushort OPT = 41;
    public const ushort IXFR = 251;
    public const ushort AXFR = 252;
    public const ushort ANY = 255;
}

/// <summary>Response codes (RFC 1035 4.1.1; BADVERS is the extended code of RFC 6891 6.1.3).</summary>
internal static class DnsRcode
{
    public const int NoError = 0;
    public const int FormErr = 1;
    public const int ServFail = 2;
    public const int NxDomain = 3;
    public const int NotImp = 4;
    public const int Refused = 5;
    public const int BadVers = 16;
}

internal static class DnsLimits
{
    /// <summary>The header is 12 bytes: id, flags, and the four section counts.</summary>
    public const int HeaderSize = 12;

    /// <summary>The largest UDP answer without EDNS (RFC 1035 4.2.1).</summary>
    public const int ClassicUdpSize = 512;

    /// <summary>The largest UDP answer this server sends whatever EDNS size a client offers.</summary>
    public const int MaxUdpSize = 4096;

    /// <summary>A TCP message is framed by a 2-byte length (RFC 1035 4.2.2).</summary>
    public const int MaxMessageSize = 65535;

    /// <summary>A name is at most 255 bytes on the wire, a label at most 63 (RFC 1035 2.3.4).</summary>
    public const int MaxNameLength = 255;

    public const int MaxLabelLength = 63;

    public const ushort ClassIn = 1;
}
