using Kubesharp.Proxy.Routes;
using static Kubesharp.Proxy.Tests.Routes.RouteTestData;

namespace Kubesharp.Proxy.Tests.Routes;

public sealed class PodRoutePlanTests
{
    [Fact]
    public void Every_other_node_with_a_pod_cidr_and_an_internal_ip_gets_a_route()
    {
        var desired = PodRoutePlan.Desired(
            [
                Node("self", "10.42.0.0/24", "10.77.0.11"),
                Node("b", "10.42.1.0/24", "10.77.0.12"),
                Node("c", "10.42.2.0/24", "10.77.0.13"),
            ],
            "self");

        Assert.Equal(new Dictionary<string, string> { ["10.42.1.0/24"] = "10.77.0.12", ["10.42.2.0/24"] = "10.77.0.13" }, desired);
    }

    public static TheoryData<string, V1NodeFactory> Skipped => new()
    {
        { "no pod CIDR yet", () => Node("b", null, "10.77.0.12") },
        { "no InternalIP", () => Node("b", "10.42.1.0/24", null) },
        { "an IPv6 pod CIDR", () => Node("b", "fd00:42::/64", "10.77.0.12") },
        { "an IPv6 InternalIP only", () => Node("b", "10.42.1.0/24", "fd00::12") },
        { "a pod CIDR that is not a CIDR", () => Node("b", "10.42.1.0", "10.77.0.12") },
        { "this node's own CIDR claimed by another", () => Node("b", "10.42.0.0/24", "10.77.0.12") },
    };

    public delegate k8s.Models.V1Node V1NodeFactory();

    [Theory]
    [MemberData(nameof(Skipped))]
    public void A_node_is_not_routed_with(string why, V1NodeFactory node)
    {
        var desired = PodRoutePlan.Desired([Node("self", "10.42.0.0/24", "10.77.0.11"), node()], "self");

        Assert.True(desired.Count == 0, $"{why}: expected no route, got {string.Join(", ", desired)}");
    }

    [Fact]
    public void A_cidr_with_host_bits_is_routed_as_its_network_like_go_ParseCIDR()
    {
        var desired = PodRoutePlan.Desired([Node("b", "10.42.1.7/24", "10.77.0.12")], "self");

        Assert.Equal(["10.42.1.0/24"], desired.Keys);
    }

    [Fact]
    public void A_cidr_two_nodes_claim_is_routed_to_neither()
    {
        var desired = PodRoutePlan.Desired([Node("b", "10.42.1.0/24", "10.77.0.12"), Node("c", "10.42.1.0/24", "10.77.0.13"), Node("d", "10.42.3.0/24", "10.77.0.14")], "self");

        Assert.Equal(["10.42.3.0/24"], desired.Keys);
    }

    [Fact]
    public void Ip_route_show_output_is_parsed_into_routes()
    {
        var routes = PodRoutePlan.ParseRoutes("10.42.1.0/24 via 10.77.0.12 dev eth0 \n10.42.2.0/24 via 10.77.0.13 dev eth0 metric 5\n10.42.9.9 via 10.77.0.19 dev eth0\nblackhole 10.42.7.0/24\n");

        Assert.Equal(
            [new PodRoute("10.42.1.0/24", "10.77.0.12"), new PodRoute("10.42.2.0/24", "10.77.0.13"), new PodRoute("10.42.9.9/32", "10.77.0.19")],
            routes);
    }

    public static TheoryData<string, string[], string[], string[]> CommandCases => new()
    {
        { "nothing to do", ["10.42.1.0/24=10.77.0.12"], ["10.42.1.0/24=10.77.0.12"], [] },
        { "a new node", ["10.42.1.0/24=10.77.0.12", "10.42.2.0/24=10.77.0.13"], ["10.42.1.0/24=10.77.0.12"], ["route replace 10.42.2.0/24 via 10.77.0.13 proto 66"] },
        { "a node's address changed", ["10.42.1.0/24=10.77.0.22"], ["10.42.1.0/24=10.77.0.12"], ["route replace 10.42.1.0/24 via 10.77.0.22 proto 66"] },
        { "a node is gone", [], ["10.42.1.0/24=10.77.0.12"], ["route del 10.42.1.0/24 via 10.77.0.12 proto 66"] },
        {
            "a stale route and a new one",
            ["10.42.2.0/24=10.77.0.13"],
            ["10.42.9.0/24=10.77.0.19"],
            ["route del 10.42.9.0/24 via 10.77.0.19 proto 66", "route replace 10.42.2.0/24 via 10.77.0.13 proto 66"]
        },
    };

    [Theory]
    [MemberData(nameof(CommandCases))]
    public void Commands_take_the_kernel_to_the_desired_routes(string why, string[] desired, string[] current, string[] expected)
    {
        var commands = PodRoutePlan.Commands(
            desired.Select(d => d.Split('=')).ToDictionary(d => d[0], d => d[1]),
            [.. current.Select(c => c.Split('=')).Select(c => new PodRoute(c[0], c[1]))]);

        Assert.True(expected.SequenceEqual(commands.Select(c => string.Join(' ', c))), $"{why}: got [{string.Join("; ", commands.Select(c => string.Join(' ', c)))}]");
    }

    [Fact]
    public void Routes_outside_the_cluster_cidr_belong_to_another_cluster_and_stay()
    {
        var commands = PodRoutePlan.Commands(
            new Dictionary<string, string> { ["10.42.2.0/24"] = "10.77.0.13" },
            [new PodRoute("10.44.1.0/24", "10.88.0.11"), new PodRoute("10.42.9.0/24", "10.77.0.19"), new PodRoute("10.0.0.0/8", "10.77.0.20")],
            "10.42.0.0/16");

        Assert.Equal(
            ["route del 10.42.9.0/24 via 10.77.0.19 proto 66", "route replace 10.42.2.0/24 via 10.77.0.13 proto 66"],
            commands.Select(c => string.Join(' ', c)));
    }

    [Fact]
    public void The_masquerade_chain_returns_pod_to_pod_and_masquerades_the_rest()
    {
        const string Expected = """
            *nat
            :KUBESHARP-POSTROUTING - [0:0]
            -A POSTROUTING -m comment --comment "kubesharp pod masquerade" -j KUBESHARP-POSTROUTING
            -A KUBESHARP-POSTROUTING -s 10.42.0.0/16 -d 10.42.0.0/16 -m comment --comment "pod to pod: no masquerade" -j RETURN
            -A KUBESHARP-POSTROUTING -s 10.42.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "pod to outside the cluster: masquerade" -j MASQUERADE --random-fully
            COMMIT

            """;

        Assert.Equal(Expected.ReplaceLineEndings("\n"), PodRoutePlan.MasqueradeRules("10.42.0.0/16", addJump: true));
        Assert.DoesNotContain("-A POSTROUTING", PodRoutePlan.MasqueradeRules("10.42.0.0/16", addJump: false), StringComparison.Ordinal);
    }
}
