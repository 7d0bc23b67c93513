using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;
using static Kubesharp.Proxy.Tests.Nftables.NftablesCases;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// Real <c>nft -f</c> inside a network namespace each test creates and deletes (root; skipped visibly otherwise, failed
/// with <c>KUBESHARP_REQUIRE_RUNTIME=1</c>). Traffic stays inside that namespace.
/// </summary>
public sealed class NftablesApplyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [MemberData(nameof(NftablesGoldenTests.Cases), MemberType = typeof(NftablesGoldenTests))]
    public async Task KernelAcceptsEveryGoldenRender(string name)
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var rules = File.ReadAllText(NftablesGoldenTests.GoldenPath(name));

        var check = await ns.Tool.RunAsync("nft", ["-c", "-f", "-"], rules, cts.Token);
        Assert.True(check.Succeeded, $"nft -c refused {name}: {check.Stderr}");
        var backend = new NftablesBackend(ns.Tool);
        await backend.ApplyAsync(rules, cts.Token);
        // Applying the same ruleset again is a no-op change, not an error (flush and refill in one transaction).
        await backend.ApplyAsync(rules, cts.Token);

        var (snapshot, _) = All[name];
        var expected = NftablesBackend.OwnedObjectsIn(rules);
        Assert.Equal(expected.Order(StringComparer.Ordinal), ListOwned(ns));
        if (snapshot.Services.Count > 0)
        {
            Assert.Contains(snapshot.Services[0].Service.ClusterIp, ns.Exec("nft", "list", "set", "ip", "kube-proxy", "cluster-ips").ThrowIfFailed().Stdout, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task ReapplyWithFewerEndpointsDeletesStaleChainsMapsAndAffinitySets()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new NftablesBackend(ns.Tool);
        var svc = Svc("default", "web", "10.43.0.20") with { StickyMaxAgeSeconds = 60 };

        await backend.ApplyAsync(backend.Render(new([new(svc, [Ep("10.42.0.5"), Ep("10.42.1.6"), Ep("10.42.2.7")])]), Node), cts.Token);
        Assert.Equal(8, ListOwned(ns).Count); // the service chain and its lb- map, 3 endpoint chains, 3 affinity sets
        Assert.Contains(ListOwned(ns), o => o.StartsWith("map lb-service-", StringComparison.Ordinal));

        // Without affinity the port moves to the fast path: every chain, map and set of its own goes.
        var fast = backend.Render(new([new(svc with { StickyMaxAgeSeconds = 0 }, [Ep("10.42.0.5"), Ep("10.42.1.6"), Ep("10.42.2.7")])]), Node);
        await backend.ApplyAsync(fast, cts.Token);
        Assert.Equal(["chain fast-clusterip-tcp-3"], ListOwned(ns));
        Assert.Equal(3, MapElements(ns, "fast-endpoints-tcp").Count);

        // One endpoint fewer: the shared chain for 3 endpoints goes, and so do the map elements of the third index.
        var fewer = backend.Render(new([new(svc with { StickyMaxAgeSeconds = 0 }, [Ep("10.42.1.6"), Ep("10.42.2.7")])]), Node);
        await backend.ApplyAsync(fewer, cts.Token);
        Assert.Equal(NftablesBackend.OwnedObjectsIn(fewer).Order(StringComparer.Ordinal), ListOwned(ns));
        Assert.Equal(["chain fast-clusterip-tcp-2"], ListOwned(ns));
        Assert.Equal(["10.43.0.20 . 80 . 0 : 10.42.1.6 . 8080", "10.43.0.20 . 80 . 1 : 10.42.2.7 . 8080"], MapElements(ns, "fast-endpoints-tcp"));

        await backend.ApplyAsync(backend.Render(ProxySnapshot.Empty, Node), cts.Token);
        Assert.Empty(ListOwned(ns));
        Assert.Empty(MapElements(ns, "fast-endpoints-tcp"));
        Assert.Empty(MapElements(ns, "fast-hairpin"));
    }

    [SkippableFact]
    public async Task ARestartedBackendDeletesWhatItsPredecessorLeft()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        // Fast-path chains, a sticky port's chains, lb- map and affinity sets, a Local policy's chains.
        var (snapshot, node) = All["fast-and-chains"];
        var first = new NftablesBackend(ns.Tool);
        await first.ApplyAsync(first.Render(snapshot, node), cts.Token);
        Assert.Contains(ListOwned(ns), o => o.StartsWith("chain fast-", StringComparison.Ordinal));
        Assert.Contains(ListOwned(ns), o => o.StartsWith("map lb-", StringComparison.Ordinal));
        Assert.Contains(ListOwned(ns), o => o.StartsWith("set affinity-", StringComparison.Ordinal));

        var second = new NftablesBackend(ns.Tool);
        await second.ApplyAsync(second.Render(All["no-endpoints"].Snapshot, node), cts.Token);
        Assert.Empty(ListOwned(ns));
    }

    [SkippableFact]
    public async Task CleanupLeavesNoKubeProxyTableAndSucceedsOnACleanNode()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new NftablesBackend(ns.Tool);
        var (snapshot, node) = All["nodeport"];
        await backend.ApplyAsync(backend.Render(snapshot, node), cts.Token);
        Assert.Contains("kube-proxy", ns.Exec("nft", "list", "tables").ThrowIfFailed().Stdout, StringComparison.Ordinal);

        await backend.CleanupAsync(cts.Token);
        Assert.DoesNotContain("kube-proxy", ns.Exec("nft", "list", "tables").ThrowIfFailed().Stdout, StringComparison.Ordinal);
        await backend.CleanupAsync(cts.Token);

        // After a cleanup the backend starts over: applying again works.
        await backend.ApplyAsync(backend.Render(snapshot, node), cts.Token);
        Assert.Contains("kube-proxy", ns.Exec("nft", "list", "tables").ThrowIfFailed().Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ARefusedRulesetThrowsProxyApplyException()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new NftablesBackend(ns.Tool);
        var e = await Assert.ThrowsAsync<ProxyApplyException>(() => backend.ApplyAsync("add rule ip kube-proxy no-such-chain accept\n", cts.Token));
        Assert.Contains("nft -f failed", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Inside the namespace: two listeners on addresses of a veth interface behind fake cluster IPs: a fast-path
    /// Service (also by its node port), a Service without endpoints, a sticky Service (per-endpoint chains), and a
    /// fast-path Service reached from another address of the range; one Python process serves (answering with its
    /// name and the peer address it sees) and connects (bounded: 5 s per connect). The cluster CIDR is the listeners'
    /// range, so that last connection is not masqueraded.
    /// </summary>
    [SkippableFact]
    public async Task TrafficReachesEveryEndpointAndAServiceWithoutEndpointsRefusesAtOnce()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        Skip.If(!HasPython(), "python3 is not installed (the traffic test's listener and client)");
        using var cts = new CancellationTokenSource(Timeout);
        ns.AddListenerLink("10.99.0.2", "10.99.0.3", "10.99.0.4");

        var backend = new NftablesBackend(ns.Tool);
        EndpointInfo[] endpoints = [Ep("10.99.0.2", port: 8080), Ep("10.99.0.3", port: 8080)];
        var node = Node with { NodeIps = ["10.99.0.4"], ClusterCidr = "10.99.0.0/16" };
        var rules = backend.Render(new([
            new(Svc("default", "web", "10.43.7.7") with { NodePort = 30077 }, endpoints),
            new(Svc("default", "nothing", "10.43.7.8"), []),
            new(Svc("default", "sticky", "10.43.7.9") with { StickyMaxAgeSeconds = 60 }, endpoints),
            new(Svc("default", "self", "10.43.7.10"), [Ep("10.99.0.2", port: 8080, local: true)]),
        ]), node);
        Assert.Contains("goto fast-clusterip-tcp-2", rules, StringComparison.Ordinal);
        Assert.Contains("goto fast-nodeport-tcp-2", rules, StringComparison.Ordinal);
        Assert.Contains("add chain ip kube-proxy service-", rules, StringComparison.Ordinal); // the sticky port's own chain
        await backend.ApplyAsync(rules, cts.Token);

        var output = ns.Exec("python3", "-c", TrafficScript).ThrowIfFailed().Stdout;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]);

        var web = lines["web"].Split(' ');
        Assert.Equal(40, web.Length);
        Assert.Equal(["a", "b"], web.Distinct().Order(StringComparer.Ordinal));
        var nodePort = lines["nodeport"].Split(' ');
        Assert.Equal(40, nodePort.Length);
        Assert.Equal(["a", "b"], nodePort.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal("refused", lines["nothing"]);
        Assert.Single(lines["sticky"].Split(' ').Distinct());
        // Inside the cluster CIDR and not to itself: not masqueraded, the endpoint sees the client's own address.
        Assert.Equal("a@10.99.0.3", lines["other-to-self"]);
    }

    /// <summary>
    /// A pod (a second namespace behind a veth, 10.99.1.2) reaching itself through a fast-path Service and through a
    /// sticky one (upstream's endpoint chain): the node masquerades both, so the pod sees the node's address (without
    /// it the reply would go from the pod to itself and the connection would never open).
    /// </summary>
    [SkippableFact]
    public async Task APodReachingItselfThroughItsServiceIsMasqueraded()
    {
        using var node = NetworkNamespace.Create();
        Skip.If(node is null, NetworkNamespace.SkipReason);
        Skip.If(!HasPython(), "python3 is not installed (the traffic test's listener and client)");
        using var pod = NetworkNamespace.Create()!;
        using var cts = new CancellationTokenSource(Timeout);
        node.Exec("ip", "link", "add", "kshp0", "type", "veth", "peer", "name", "kshp1", "netns", pod.Name).ThrowIfFailed();
        node.Exec("ip", "addr", "add", "10.99.1.1/24", "dev", "kshp0").ThrowIfFailed();
        node.Exec("ip", "link", "set", "kshp0", "up").ThrowIfFailed();
        node.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1").ThrowIfFailed();
        pod.Exec("ip", "addr", "add", "10.99.1.2/24", "dev", "kshp1").ThrowIfFailed();
        pod.Exec("ip", "link", "set", "kshp1", "up").ThrowIfFailed();
        pod.Exec("ip", "route", "add", "default", "via", "10.99.1.1").ThrowIfFailed();

        var backend = new NftablesBackend(node.Tool);
        EndpointInfo[] self = [Ep("10.99.1.2", port: 8080, local: true)];
        var rules = backend.Render(new([
            new(Svc("default", "self", "10.43.7.11"), self),
            new(Svc("default", "self-sticky", "10.43.7.12") with { StickyMaxAgeSeconds = 60 }, self),
        ]), Node with { ClusterCidr = "10.99.0.0/16" });
        Assert.Contains("add element ip kube-proxy fast-hairpin { 10.99.1.2 . 10.99.1.2 }", rules, StringComparison.Ordinal);
        await backend.ApplyAsync(rules, cts.Token);

        var lines = pod.Exec("python3", "-c", HairpinScript).ThrowIfFailed().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["fast 10.99.1.1", "chains 10.99.1.1"], lines);
    }

    private const string HairpinScript = """
        import socket, threading
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('10.99.1.2', 8080))
        s.listen(8)
        def loop():
            while True:
                c, peer = s.accept()
                c.sendall(peer[0].encode())
                c.close()
        threading.Thread(target=loop, daemon=True).start()
        def get(ip):
            try:
                c = socket.create_connection((ip, 80), timeout=5)
            except OSError as e:
                return 'failed:' + type(e).__name__
            try:
                return c.recv(64).decode()
            finally:
                c.close()
        print('fast', get('10.43.7.11'))
        print('chains', get('10.43.7.12'))
        """;

    private const string TrafficScript = """
        import socket, threading
        def serve(addr, name):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, 8080))
            s.listen(64)
            def loop():
                while True:
                    c, peer = s.accept()
                    c.sendall((name + '@' + peer[0]).encode())
                    c.close()
            threading.Thread(target=loop, daemon=True).start()
        def get(ip, port=80, source=None):
            c = socket.create_connection((ip, port), timeout=5, source_address=(source, 0) if source else None)
            try:
                return c.recv(64).decode()
            finally:
                c.close()
        def name(ip, port=80):
            return get(ip, port).split('@')[0]
        serve('10.99.0.2', 'a')
        serve('10.99.0.3', 'b')
        print('web', ' '.join(name('10.43.7.7') for _ in range(40)))
        print('nodeport', ' '.join(name('10.99.0.4', 30077) for _ in range(40)))
        print('other-to-self', get('10.43.7.10', source='10.99.0.3'))
        try:
            get('10.43.7.8')
            print('nothing connected')
        except ConnectionRefusedError:
            print('nothing refused')
        except socket.timeout:
            print('nothing timeout')
        print('sticky', ' '.join(name('10.43.7.9') for _ in range(10)))
        """;

    private static bool HasPython()
    {
        try
        {
            return NetworkNamespace.Run("python3", "--version").ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The Service/endpoint/fast-path chains, <c>lb-</c> maps and affinity sets in the namespace's <c>ip kube-proxy</c> table.</summary>
    private static List<string> ListOwned(NetworkNamespace ns)
    {
        var chains = NftablesBackend.ObjectsOfTable(ns.Exec("nft", "list", "chains", "ip").ThrowIfFailed().Stdout, "chain ")
            .Where(NftablesBackend.IsOwnedChain).Select(c => "chain " + c);
        var sets = NftablesBackend.ObjectsOfTable(ns.Exec("nft", "-t", "list", "sets", "ip").ThrowIfFailed().Stdout, "set ")
            .Where(NftablesNames.IsAffinitySet).Select(s => "set " + s);
        var maps = NftablesBackend.ObjectsOfTable(ns.Exec("nft", "-t", "list", "maps", "ip").ThrowIfFailed().Stdout, "map ")
            .Where(NftablesNames.IsBalanceMap).Select(m => "map " + m);
        return chains.Concat(sets).Concat(maps).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The elements of a fast-path map or set (<c>nft list map|set</c>), sorted.</summary>
    private static List<string> MapElements(NetworkNamespace ns, string name)
    {
        var listing = ns.Exec("nft", "list", name == NftablesNames.FastHairpinSet ? "set" : "map", "ip", "kube-proxy", name).ThrowIfFailed().Stdout;
        var start = listing.IndexOf("elements = {", StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }

        start += "elements = {".Length;
        var body = listing[start..listing.IndexOf('}', start)];
        return body.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0).Order(StringComparer.Ordinal).ToList();
    }
}
