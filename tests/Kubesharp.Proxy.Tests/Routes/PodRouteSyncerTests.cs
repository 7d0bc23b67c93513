using Kubesharp.Proxy.Routes;
using static Kubesharp.Proxy.Tests.Routes.RouteTestData;

namespace Kubesharp.Proxy.Tests.Routes;

public sealed class PodRouteSyncerTests
{
    [Fact]
    public async Task A_first_pass_reads_its_routes_adds_the_missing_ones_and_installs_the_masquerade_chain_with_its_jump()
    {
        var runner = new FakeRuleRunner { Routes = "10.42.9.0/24 via 10.77.0.19 dev eth0 \n" };
        var syncer = new PodRouteSyncer(runner.RunAsync, "self", "10.42.0.0/16");

        var changes = await syncer.SyncAsync([Node("self", "10.42.0.0/24", "10.77.0.11"), Node("b", "10.42.1.0/24", "10.77.0.12")], CancellationToken.None);

        Assert.Equal(2, changes);
        Assert.Equal(
            [
                "ip -4 route show table main proto 66",
                "ip route del 10.42.9.0/24 via 10.77.0.19 proto 66",
                "ip route replace 10.42.1.0/24 via 10.77.0.12 proto 66",
                "iptables -w 5 -t nat -C POSTROUTING -m comment --comment kubesharp pod masquerade -j KUBESHARP-POSTROUTING",
                "iptables-restore -w 5 --noflush",
            ],
            runner.Commands);
        Assert.Contains("-A POSTROUTING ", runner.Stdins[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pass_with_nothing_changed_only_reads_and_rewrites_the_chain_without_a_second_jump()
    {
        var runner = new FakeRuleRunner { Routes = "10.42.1.0/24 via 10.77.0.12 dev eth0 \n", JumpPresent = true };
        var syncer = new PodRouteSyncer(runner.RunAsync, "self", "10.42.0.0/16");

        var changes = await syncer.SyncAsync([Node("b", "10.42.1.0/24", "10.77.0.12")], CancellationToken.None);

        Assert.Equal(0, changes);
        Assert.DoesNotContain(runner.Commands, c => c.StartsWith("ip route", StringComparison.Ordinal));
        Assert.DoesNotContain("-A POSTROUTING ", runner.Stdins[^1], StringComparison.Ordinal);
        Assert.Contains(":KUBESHARP-POSTROUTING - [0:0]", runner.Stdins[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_route_command_is_reported_with_the_command_and_its_error()
    {
        var runner = new FakeRuleRunner { Fail = c => c.StartsWith("ip route replace", StringComparison.Ordinal) };
        var syncer = new PodRouteSyncer(runner.RunAsync, "self", "10.42.0.0/16");

        var e = await Assert.ThrowsAsync<PodRouteException>(() => syncer.SyncAsync([Node("b", "10.42.1.0/24", "10.77.0.12")], CancellationToken.None));

        Assert.Equal("ip route replace 10.42.1.0/24 via 10.77.0.12 proto 66: exit 2: RTNETLINK answers: Network is unreachable", e.Message);
    }

    [Fact]
    public void A_cluster_cidr_that_is_not_an_ipv4_cidr_is_refused()
    {
        var runner = new FakeRuleRunner();

        Assert.Throws<ArgumentException>(() => new PodRouteSyncer(runner.RunAsync, "self", "10.42.0.0"));
    }
}
