using System.Text;
using System.Text.RegularExpressions;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;
using static Kubesharp.Proxy.Tests.Nftables.NftablesCases;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// Partial syncs (<see cref="NftablesPartialSync"/>): the transactions of a sequence of changes against
/// <c>golden/partial/sequence.nft</c>, and, in network namespaces (root; skipped visibly otherwise), that the same
/// sequence applied as partial syncs leaves exactly the table a full sync of each state writes, and that traffic
/// follows.
/// </summary>
public sealed partial class NftablesPartialSyncTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static ServicePortEndpoints Web(params EndpointInfo[] eps) => new(Svc("default", "web", "10.43.0.40") with { NodePort = 30040 }, eps);

    private static ServicePortEndpoints Sticky(int affinity, params EndpointInfo[] eps) => new(Svc("default", "sticky", "10.43.0.41") with { StickyMaxAgeSeconds = affinity }, eps);

    private static ServicePortEndpoints Local(params EndpointInfo[] eps) => new(Svc("default", "local", "10.43.0.42") with { NodePort = 30042, ExternalPolicyLocal = true }, eps);

    private static ServicePortEndpoints Nothing(params EndpointInfo[] eps) => new(Svc("default", "nothing", "10.43.0.43"), eps);

    private static ServicePortEndpoints Extra(params EndpointInfo[] eps) => new(Svc("default", "extra", "10.43.0.44") with { ExternalIps = ["192.168.99.44"] }, eps);

    // kube-dns: two ports of one address, sharing the local endpoint 10.42.1.6 with web (one hairpin element for both).
    private static ServicePortEndpoints[] Dns() =>
    [
        new(Svc("kube-system", "dns", "10.43.0.10", port: 53, portName: "dns", protocol: "UDP"), [Ep("10.42.0.3", port: 53), Ep("10.42.1.6", port: 53, local: true)]),
        new(Svc("kube-system", "dns", "10.43.0.10", port: 53, portName: "dns-tcp", protocol: "TCP"), [Ep("10.42.0.3", port: 53), Ep("10.42.1.6", port: 53, local: true)]),
    ];

    private static ProxySnapshot Snap(params ServicePortEndpoints[] ports) =>
        new([.. ports.OrderBy(p => p.Service.Name.Namespace, StringComparer.Ordinal).ThenBy(p => p.Service.Name.Name, StringComparer.Ordinal)]);

    /// <summary>The first state (applied as a full sync), then each change: what it is, the new state, the Services it touched.</summary>
    public static readonly ProxySnapshot Initial = Snap([
        Web(Ep("10.42.0.5"), Ep("10.42.1.6", local: true)),
        Sticky(600, Ep("10.42.0.5"), Ep("10.42.1.7")),
        Local(Ep("10.42.0.5"), Ep("10.42.1.6", local: true)),
        Nothing(),
        .. Dns(),
    ]);

    public static readonly (string What, ProxySnapshot Snapshot, (string, string)[] Changed)[] Steps =
    [
        ("web gets a third endpoint: it moves from the 2-endpoint shared chains to new 3-endpoint ones (dns keeps tcp-2)",
            Snap([Web(Ep("10.42.0.5"), Ep("10.42.1.6", local: true), Ep("10.42.2.8")), Sticky(600, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Nothing(), .. Dns()]),
            [("default", "web")]),
        ("nothing gets an endpoint (out of no-endpoint-services, onto the fast path); sticky loses its affinity (its chains, lb- map and affinity sets go)",
            Snap([Web(Ep("10.42.0.5"), Ep("10.42.1.6", local: true), Ep("10.42.2.8")), Sticky(0, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Nothing(Ep("10.42.2.9")), .. Dns()]),
            [("default", "nothing"), ("default", "sticky")]),
        ("dns is deleted: its chains' last users go, but 10.42.1.6 stays in fast-hairpin for web",
            Snap([Web(Ep("10.42.0.5"), Ep("10.42.1.6", local: true), Ep("10.42.2.8")), Sticky(0, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Nothing(Ep("10.42.2.9"))]),
            [("kube-system", "dns")]),
        ("web is deleted, extra (external IP) is added, local's local endpoint changes, sticky gets its affinity back",
            Snap([Sticky(60, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5"), Ep("10.42.1.9", local: true)), Nothing(Ep("10.42.2.9")), Extra(Ep("10.42.3.1"), Ep("10.42.3.2"))]),
            [("default", "web"), ("default", "extra"), ("default", "local"), ("default", "sticky")]),
        ("a Service reported changed that did not change, and one reported that does not exist: nothing to write",
            Snap([Sticky(60, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5"), Ep("10.42.1.9", local: true)), Nothing(Ep("10.42.2.9")), Extra(Ep("10.42.3.1"), Ep("10.42.3.2"))]),
            [("default", "nothing"), ("default", "ghost")]),
        ("extra loses its endpoints (scaled to 0): into no-endpoint-services, cluster IP and external IP alike; local's node port has no local endpoint any more",
            Snap([Sticky(60, Ep("10.42.0.5"), Ep("10.42.1.7")), Local(Ep("10.42.0.5")), Nothing(Ep("10.42.2.9")), Extra()]),
            [("default", "extra"), ("default", "local")]),
        ("everything goes",
            Snap([]),
            [("default", "sticky"), ("default", "local"), ("default", "nothing"), ("default", "extra")]),
    ];

    /// <summary>To regenerate: <c>KUBESHARP_UPDATE_GOLDEN=1</c>, as <see cref="NftablesGoldenTests"/>.</summary>
    [Fact]
    public void PartialTransactionsMatchGolden()
    {
        var backend = new NftablesBackend(new RuleTool());
        var full = (NftablesSync)backend.Prepare(Initial, Node, changedServices: null);
        Assert.True(full.Full);
        Assert.Equal(backend.Render(Initial, Node), full.Rules);
        var state = full.State;
        var owned = NftablesBackend.OwnedObjectsIn(full.Rules);
        var text = new StringBuilder();
        foreach (var (what, snapshot, changed) in Steps)
        {
            var sync = NftablesPartialSync.Prepare(state, owned, snapshot, changed.ToHashSet());
            Assert.False(sync.Full);
            text.Append("# ").Append(what).Append('\n').Append(sync.Rules).Append('\n');
            state = sync.State;
            owned = sync.Owned!;
        }

        var path = Path.Combine(Path.GetDirectoryName(NftablesGoldenTests.GoldenPath("x"))!, "partial", "sequence.nft");
        if (Environment.GetEnvironmentVariable(NftablesGoldenTests.UpdateVariable) == "1")
        {
            File.WriteAllText(path, text.ToString());
        }

        Assert.Equal(File.ReadAllText(path), text.ToString());
        Assert.Empty(state.Services);
        Assert.Empty(state.References.Chains);
        Assert.Empty(state.References.Hairpin);
        Assert.Empty(owned);
    }

    [Fact]
    public void WithoutARecordOfTheLastApplyASyncIsFull()
    {
        var backend = new NftablesBackend(new RuleTool());
        Assert.True(backend.Prepare(Initial, Node, new HashSet<(string, string)> { ("default", "web") }).Full);
    }

    [SkippableFact]
    public async Task PartialSyncsLeaveTheTableAFullSyncWrites()
    {
        using var partialNs = NetworkNamespace.Create();
        Skip.If(partialNs is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new NftablesBackend(partialNs.Tool);
        var first = backend.Prepare(Initial, Node, null);
        Assert.True(first.Full);
        await backend.ApplyAsync(first, cts.Token);

        foreach (var (what, snapshot, changed) in Steps)
        {
            var sync = backend.Prepare(snapshot, Node, changed.ToHashSet());
            Assert.False(sync.Full, what);
            await backend.ApplyAsync(sync, cts.Token);

            using var fullNs = NetworkNamespace.Create()!;
            var reference = new NftablesBackend(fullNs.Tool);
            await reference.ApplyAsync(reference.Render(snapshot, Node), cts.Token);
            Assert.Equal(Table(fullNs), Table(partialNs));
        }
    }

    [SkippableFact]
    public async Task AFailedPartialSyncMakesTheNextSyncFull()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new NftablesBackend(ns.Tool);
        await backend.ApplyAsync(backend.Prepare(Initial, Node, null), cts.Token);
        // Someone deletes a map element behind the proxy's back: the partial sync's "delete element" fails.
        ns.Exec("nft", "delete", "element", "ip", "kube-proxy", "service-ips", "{ 10.43.0.40 . tcp . 80 }").ThrowIfFailed();
        var (_, snapshot, changed) = Steps[0];
        var partial = backend.Prepare(snapshot, Node, changed.ToHashSet());
        Assert.False(partial.Full);
        await Assert.ThrowsAsync<ProxyApplyException>(() => backend.ApplyAsync(partial, cts.Token));

        var next = backend.Prepare(snapshot, Node, new HashSet<(string, string)>());
        Assert.True(next.Full);
        await backend.ApplyAsync(next, cts.Token);
        using var fullNs = NetworkNamespace.Create()!;
        var reference = new NftablesBackend(fullNs.Tool);
        await reference.ApplyAsync(reference.Render(snapshot, Node), cts.Token);
        Assert.Equal(Table(fullNs), Table(ns));
    }

    /// <summary>
    /// <see cref="TrafficFollowsPartialSyncsAsync"/> in nftables mode.
    /// </summary>
    [SkippableFact]
    public async Task TrafficFollowsPartialSyncs()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        Skip.If(!HasPython(), "python3 is not installed (the traffic test's listener and client)");
        using var cts = new CancellationTokenSource(Timeout);
        await TrafficFollowsPartialSyncsAsync(ns, new NftablesBackend(ns.Tool), Node, "add chain ip kube-proxy service-", cts.Token);
    }

    /// <summary>
    /// The traffic scenario both modes run: two listeners (a, b) behind the namespace's veth, Services <c>web</c> and
    /// <c>other</c>, then partial syncs that add an endpoint, move them, make <c>other</c> sticky (its sync containing
    /// <paramref name="stickyRule"/>) and scale <c>web</c> to 0; each time the connections go where the rules say.
    /// </summary>
    internal static async Task TrafficFollowsPartialSyncsAsync(NetworkNamespace ns, IPartialSyncBackend backend, NodeProxyContext node, string stickyRule, CancellationToken cancellationToken)
    {
        ns.AddListenerLink("10.99.0.2", "10.99.0.3");
        node = node with { ClusterCidr = "10.99.0.0/16" };
        var a = Ep("10.99.0.2", port: 8080);
        var b = Ep("10.99.0.3", port: 8080);
        ServicePortEndpoints WebAt(params EndpointInfo[] eps) => new(Svc("default", "web", "10.43.7.7"), eps);
        ServicePortEndpoints Other(int affinity, params EndpointInfo[] eps) => new(Svc("default", "other", "10.43.7.8") with { StickyMaxAgeSeconds = affinity }, eps);

        await backend.ApplyAsync(backend.Prepare(Snap(WebAt(a), Other(0)), node, null), cancellationToken);
        Assert.Equal("web a a a a a a a a a a a a a a a a a a a a|other refused", Traffic(ns));

        var changed = new HashSet<(string, string)> { ("default", "web") };
        var sync = backend.Prepare(Snap(WebAt(a, b), Other(0)), node, changed);
        Assert.False(sync.Full);
        await backend.ApplyAsync(sync, cancellationToken);
        var both = Traffic(ns).Split('|');
        Assert.Equal(["a", "b"], both[0].Split(' ').Skip(1).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal("other refused", both[1]);

        changed = [("default", "web"), ("default", "other")];
        sync = backend.Prepare(Snap(WebAt(b), Other(0, a)), node, changed);
        Assert.False(sync.Full);
        await backend.ApplyAsync(sync, cancellationToken);
        Assert.Equal("web b b b b b b b b b b b b b b b b b b b b|other a a a a a a a a a a a a a a a a a a a a", Traffic(ns));

        changed = [("default", "other")];
        sync = backend.Prepare(Snap(WebAt(b), Other(60, a, b)), node, changed);
        Assert.False(sync.Full);
        Assert.Contains(stickyRule, sync.Rules, StringComparison.Ordinal);
        await backend.ApplyAsync(sync, cancellationToken);
        var sticky = Traffic(ns).Split('|');
        Assert.Equal("web b b b b b b b b b b b b b b b b b b b b", sticky[0]);
        Assert.Single(sticky[1].Split(' ').Skip(1).Distinct());

        // Scaled to 0: refused at once, not timed out.
        changed = [("default", "web")];
        sync = backend.Prepare(Snap(WebAt(), Other(60, a, b)), node, changed);
        Assert.False(sync.Full);
        await backend.ApplyAsync(sync, cancellationToken);
        Assert.StartsWith("web refused|other ", Traffic(ns), StringComparison.Ordinal);
    }

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
                    c.sendall(name.encode())
                    c.close()
            threading.Thread(target=loop, daemon=True).start()
        def name(ip):
            try:
                c = socket.create_connection((ip, 80), timeout=5)
            except ConnectionRefusedError:
                return 'refused'
            except OSError as e:
                return 'failed:' + type(e).__name__
            try:
                return c.recv(64).decode()
            finally:
                c.close()
        serve('10.99.0.2', 'a')
        serve('10.99.0.3', 'b')
        def run(label, ip):
            got = [name(ip) for _ in range(20)]
            return label + ' ' + ('refused' if got[0] == 'refused' else ' '.join(got))
        print(run('web', '10.43.7.7') + '|' + run('other', '10.43.7.8'))
        """;

    internal static string Traffic(NetworkNamespace ns) => ns.Exec("python3", "-c", TrafficScript).ThrowIfFailed().Stdout.Trim();

    internal static bool HasPython()
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

    /// <summary>
    /// <c>nft list table ip kube-proxy</c> with what a transaction's order may change put in one order: the table's
    /// chains, sets and maps sorted by name (the kernel lists them in creation order), and the elements of each set
    /// or map sorted. Rules inside a chain keep their order.
    /// </summary>
    internal static string Table(NetworkNamespace ns)
    {
        var listing = ns.Exec("nft", "list", "table", "ip", "kube-proxy").ThrowIfFailed().Stdout;
        var blocks = new List<string>();
        StringBuilder? block = null;
        foreach (var line in listing.Split('\n'))
        {
            if (block is null && line.StartsWith('\t') && !line.StartsWith("\t\t", StringComparison.Ordinal) && line.EndsWith('{'))
            {
                block = new StringBuilder();
            }

            if (block is null)
            {
                continue;
            }

            block.Append(line.Trim()).Append('\n');
            if (line == "\t}")
            {
                blocks.Add(Elements().Replace(block.ToString(), m =>
                    "elements = { " + string.Join(", ", m.Groups[1].Value.Split(',').Select(e => e.Trim()).Order(StringComparer.Ordinal)) + " }"));
                block = null;
            }
        }

        return string.Join("", blocks.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"elements = \{([^}]*)\}")]
    private static partial Regex Elements();
}
