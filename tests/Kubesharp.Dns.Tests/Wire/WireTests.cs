using System.Buffers.Binary;
using Kubesharp.Dns.Server;
using Kubesharp.Dns.Tests.Zone;
using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Tests.Wire;

public sealed class WireTests
{
    [Fact]
    public void A_query_parses_with_its_EDNS_record()
    {
        var packet = DnsMessages.Query("Web.Default.svc.cluster.local", DnsType.SRV, id: 77, ednsSize: 1400);
        Span<byte> name = stackalloc byte[255];
        Span<char> text = stackalloc char[256];
        Assert.Equal(QueryParse.Ok, DnsQuery.TryParse(packet, name, text, out var q));
        Assert.Equal(77, q.Id);
        Assert.Equal(DnsType.SRV, q.QType);
        Assert.Equal("web.default.svc.cluster.local", q.NameText.ToString());
        Assert.True(q.NameTextExact);
        Assert.True(q.HasEdns);
        Assert.Equal(1400, q.EdnsUdpSize);
        Assert.Equal((byte)'W', q.NameWire[1]);
    }

    [Fact]
    public void Names_are_compressed_against_the_question_and_earlier_targets()
    {
        var response = new byte[65535];
        var handler = ZoneFixtures.Handler(ZoneFixtures.Standard());
        var query = DnsMessages.Query("_pg._tcp.db.default.svc.cluster.local", DnsType.SRV);
        Assert.Equal(HandleOutcome.Respond, handler.Handle(query, response, false, out var length));

        // Header 12 + question (39 + 4); each SRV: pointer owner 2 + 10 + 6 + target (first: "db-0" + pointer = 7, then "10-42-1-8" + pointer = 12);
        // each additional A: pointer owner 2 + 10 + 4; authority none.
        Assert.Equal(12 + 43 + (18 + 7) + (18 + 12) + 16 + 16, length);
        Assert.Equal(2, DnsMessages.Parse(response.AsSpan(0, length)).Additional.Count);
    }

    [Fact]
    public void A_UDP_answer_over_512_bytes_without_EDNS_is_truncated_and_flagged()
    {
        var zone = ZoneFixtures.Standard();
        var endpoints = Enumerable.Range(1, 100).Select(i => ($"10.42.9.{i}", (string?)null, true)).ToArray();
        zone.UpsertService(ZoneFixtures.Service("default", "big", "None", ("http", 80, "TCP")));
        zone.UpsertEndpointSlice(ZoneFixtures.Slice("default", "big", "big-1", [("http", 80, "TCP")], endpoints));

        var udp = ZoneFixtures.Ask(zone, "big.default.svc.cluster.local", DnsType.A);
        Assert.True(udp.Truncated);
        Assert.True(udp.Length <= 512, $"{udp.Length} bytes");
        Assert.Equal((512 - 12 - 35) / 16, udp.Answers.Count);

        var edns = ZoneFixtures.Ask(zone, "big.default.svc.cluster.local", DnsType.A, ednsSize: 4096);
        Assert.False(edns.Truncated);
        Assert.Equal(100, edns.Answers.Count);
        Assert.Equal(4096, edns.EdnsSize);

        var smallEdns = ZoneFixtures.Ask(zone, "big.default.svc.cluster.local", DnsType.A, ednsSize: 1000);
        Assert.True(smallEdns.Truncated);
        Assert.True(smallEdns.Length <= 1000);
        Assert.Equal(1000, smallEdns.EdnsSize);

        var tcp = ZoneFixtures.Ask(zone, "big.default.svc.cluster.local", DnsType.A, tcp: true);
        Assert.False(tcp.Truncated);
        Assert.Equal(100, tcp.Answers.Count);
    }

    [Fact]
    public void Additional_records_that_do_not_fit_are_dropped_without_TC()
    {
        var zone = ZoneFixtures.Standard();
        var endpoints = Enumerable.Range(1, 12).Select(i => ($"10.42.9.{i}", (string?)null, true)).ToArray();
        zone.UpsertService(ZoneFixtures.Service("default", "mid", "None", ("http", 80, "TCP")));
        zone.UpsertEndpointSlice(ZoneFixtures.Slice("default", "mid", "mid-1", [("http", 80, "TCP")], endpoints));
        var response = ZoneFixtures.Ask(zone, "_http._tcp.mid.default.svc.cluster.local", DnsType.SRV);
        Assert.Equal(12, response.Answers.Count);
        Assert.False(response.Truncated);
        Assert.True(response.Additional.Count < 12, $"{response.Additional.Count} additional records in {response.Length} bytes");
    }

    [Fact]
    public void An_EDNS_version_above_0_gets_BADVERS()
    {
        var response = new byte[65535];
        var handler = ZoneFixtures.Handler(ZoneFixtures.Standard());
        Assert.Equal(HandleOutcome.Respond, handler.Handle(DnsMessages.Query("web.default.svc.cluster.local", DnsType.A, ednsSize: 1232, ednsVersion: 1), response, false, out var length));
        var parsed = DnsMessages.Parse(response.AsSpan(0, length));
        Assert.Equal(0, parsed.Rcode);
        Assert.Equal(1, parsed.ExtendedRcode);
        Assert.Empty(parsed.Answers);
    }

    public static TheoryData<string, byte[], string, int> Malformed()
    {
        var good = DnsMessages.Query("web.default.svc.cluster.local", DnsType.A);
        byte[] With(Action<byte[]> change)
        {
            var copy = good.ToArray();
            change(copy);
            return copy;
        }

        return new TheoryData<string, byte[], string, int>
        {
            { "empty", [], "Drop", -1 },
            { "shorter than a header", good[..11], "Drop", -1 },
            { "a response (QR set)", With(p => p[2] |= 0x80), "Drop", -1 },
            { "header only", good[..12], "Respond", DnsRcode.FormErr },
            { "question cut in the name", good[..20], "Respond", DnsRcode.FormErr },
            { "question without type and class", good[..^4], "Respond", DnsRcode.FormErr },
            { "two questions", With(p => p[5] = 2), "Respond", DnsRcode.FormErr },
            { "no question", With(p => p[5] = 0), "Respond", DnsRcode.FormErr },
            { "label longer than the packet", With(p => p[12] = 60), "Respond", DnsRcode.FormErr },
            { "reserved label type", With(p => p[12] = 0x40 | 3), "Respond", DnsRcode.FormErr },
            { "pointer to itself", [.. good[..12], 0xC0, 12, 0, 1, 0, 1], "Respond", DnsRcode.FormErr },
            { "pointer forward", [.. good[..12], 0xC0, 14, 0, 0, 1, 0, 1], "Respond", DnsRcode.FormErr },
            { "additional record announced but missing", With(p => p[11] = 1), "Respond", DnsRcode.FormErr },
            { "an IQUERY opcode", With(p => p[2] |= 0x08), "Respond", DnsRcode.NotImp },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_packets_get_FORMERR_or_are_dropped(string because, byte[] packet, string outcome, int rcode)
    {
        var response = new byte[65535];
        var actual = ZoneFixtures.Handler(ZoneFixtures.Standard()).Handle(packet, response, false, out var length);
        Assert.True(outcome == actual.ToString(), $"{because}: {actual}");
        if (actual == HandleOutcome.Respond)
        {
            Assert.Equal(rcode, response[3] & 0xF);
            Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(packet), BinaryPrimitives.ReadUInt16BigEndian(response));
            Assert.True(length >= 12);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(8);
        var handler = ZoneFixtures.Handler(ZoneFixtures.Standard());
        var response = new byte[65535];
        var good = DnsMessages.Query("_http._tcp.web.default.svc.cluster.local", DnsType.SRV, ednsSize: 1232);
        for (var i = 0; i < 20_000; i++)
        {
            // Half pure noise, half a good query with a few bytes flipped.
            var packet = i % 2 == 0 ? new byte[random.Next(0, 80)] : good.ToArray();
            if (i % 2 == 0)
            {
                random.NextBytes(packet);
            }
            else
            {
                for (var k = 0; k < 3; k++)
                {
                    packet[random.Next(packet.Length)] = (byte)random.Next(256);
                }
            }

            var outcome = handler.Handle(packet, response, false, out var length);
            if (outcome == HandleOutcome.Respond)
            {
                Assert.InRange(length, 12, 4096);
            }
        }
    }
}
