using System.Runtime.CompilerServices;
using System.Text;
using Kubesharp.Proxy.Iptables;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Tests.Nftables;
using static Kubesharp.Proxy.Tests.Nftables.NftablesCases;
using Namespace = Kubesharp.Proxy.Tests.Nftables.NetworkNamespace;

namespace Kubesharp.Proxy.Tests.Iptables;

/// <summary>
/// iptables partial syncs (upstream's <c>MinimizeIPTablesRestore</c>): the restore inputs of the nftables partial
/// sync tests' sequence of changes against <c>golden/partial/sequence.txt</c>, and, in network namespaces (root;
/// skipped visibly otherwise), that the sequence applied as partial syncs leaves exactly the nat and filter tables a
/// full sync of each state writes, that a failed partial sync makes the next one full, and that traffic follows.
/// </summary>
public sealed class IptablesPartialSyncTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly NodeProxyContext IptNode = Node with { ClusterCidr = "10.42.0.0/16" };

    /// <summary>To regenerate: <c>KUBESHARP_UPDATE_GOLDEN=1</c>, as <see cref="IptablesGoldenTests"/>.</summary>
    [Fact]
    public void PartialRestoresMatchGolden()
    {
        var backend = new IptablesBackend(new RuleTool());
        var full = (IptablesSync)backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, changedServices: null);
        Assert.True(full.Full);
        Assert.Equal(backend.Render(NftablesPartialSyncTests.Initial, IptNode), full.Rules);
        var state = full.State;
        var text = new StringBuilder();
        var step = 1;
        foreach (var (what, snapshot, changed) in NftablesPartialSyncTests.Steps)
        {
            var sync = (IptablesSync)Prepare(backend, state, snapshot, changed);
            Assert.False(sync.Full, what);
            text.Append("# step ").Append(step++).Append(" of NftablesPartialSyncTests.Steps: ").Append(what).Append('\n').Append(sync.Rules).Append('\n');
            state = sync.State;
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Iptables", "golden", "partial", "sequence.txt");
        if (Environment.GetEnvironmentVariable("KUBESHARP_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.Combine(SourceDir(), "golden", "partial"));
            File.WriteAllText(Path.Combine(SourceDir(), "golden", "partial", "sequence.txt"), text.ToString());
            return;
        }

        Assert.True(File.Exists(path), $"no golden file {path}: run with KUBESHARP_UPDATE_GOLDEN=1 to write it");
        Assert.Equal(File.ReadAllText(path), text.ToString());
        Assert.Empty(state.Chains);
    }

    [Fact]
    public void APartialRestoreWritesOnlyTheChangedServicesOwnChainsButEveryTopLevelChain()
    {
        var backend = new IptablesBackend(new RuleTool());
        var full = (IptablesSync)backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, null);
        var (_, snapshot, changed) = NftablesPartialSyncTests.Steps[0];
        var partial = Prepare(backend, full.State, snapshot, changed);
        var fullNext = backend.Render(snapshot, IptNode);

        // Every line of the partial restore is one of the full ruleset's (no deletions in this step).
        Assert.Empty(Lines(partial.Rules).Except(Lines(fullNext)));
        var web = ChainNames.ClusterPolicy("default/web:http", "tcp");
        var dns = ChainNames.ClusterPolicy("kube-system/dns:dns", "udp");
        Assert.Contains(":" + web + " - [0:0]", partial.Rules, StringComparison.Ordinal);
        Assert.DoesNotContain(dns, Lines(partial.Rules).Where(l => !l.StartsWith("-A KUBE-SERVICES ", StringComparison.Ordinal)), StringComparer.Ordinal);
        Assert.Contains("-A KUBE-SERVICES -m comment --comment \"kube-system/dns:dns cluster IP\"", partial.Rules, StringComparison.Ordinal);
        foreach (var chain in (string[])["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-PROXY-FIREWALL"])
        {
            Assert.Contains(":" + chain + " - [0:0]", partial.Rules, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithoutARecordOfTheLastApplyASyncIsFull()
    {
        var backend = new IptablesBackend(new RuleTool());
        Assert.True(backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, new HashSet<(string, string)> { ("default", "web") }).Full);
    }

    [Fact]
    public void APartialSyncIsFullWhenTheLargeClusterModeFlips()
    {
        // Every Service's per-endpoint comments change with the mode: only a full sync leaves what a full sync writes.
        var backend = new IptablesBackend(new RuleTool());
        var small = (IptablesSync)backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, null);
        Assert.False(small.State.LargeCluster);
        var many = Enumerable.Range(0, IptablesRenderer.LargeClusterEndpointsThreshold).Select(i => Ep($"10.44.{i / 250}.{i % 250}")).ToArray();
        var big = new ProxySnapshot([.. NftablesPartialSyncTests.Initial.Services, new ServicePortEndpoints(Svc("zz", "big", "10.43.0.99"), many)]);
        var flipped = (IptablesSync)backend.PrepareOn(small.State, big, IptNode, new HashSet<(string, string)> { ("zz", "big") });
        Assert.True(flipped.Full);
        Assert.True(flipped.State.LargeCluster);
        Assert.Equal(backend.Render(big, IptNode), flipped.Rules);

        var unchanged = backend.PrepareOn(flipped.State, big, IptNode, new HashSet<(string, string)> { ("default", "web") });
        Assert.False(unchanged.Full);
    }

    [SkippableFact]
    public async Task PartialSyncsLeaveTheTablesAFullSyncWrites()
    {
        using var partialNs = Namespace.Create();
        Skip.If(partialNs is null, Namespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new IptablesBackend(partialNs.Tool);
        var first = backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, null);
        Assert.True(first.Full);
        await backend.ApplyAsync(first, cts.Token);

        foreach (var (what, snapshot, changed) in NftablesPartialSyncTests.Steps)
        {
            var sync = backend.Prepare(snapshot, IptNode, changed.ToHashSet());
            Assert.False(sync.Full, what);
            await backend.ApplyAsync(sync, cts.Token);
            await AssertSameAsFullSyncAsync(partialNs, snapshot, what, cts.Token);
        }
    }

    [SkippableFact]
    public async Task AFailedPartialSyncMakesTheNextSyncFull()
    {
        using var ns = Namespace.Create();
        Skip.If(ns is null, Namespace.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var backend = new IptablesBackend(ns.Tool);
        await backend.ApplyAsync(backend.Prepare(NftablesPartialSyncTests.Initial, IptNode, null), cts.Token);

        // Another program jumps to one of dns's endpoint chains: deleting dns makes the partial restore's -X fail.
        var sep = ChainNames.Endpoint("kube-system/dns:dns", "udp", "10.42.0.3:53");
        ns.Exec("iptables", "-w", "-t", "nat", "-N", "OTHER").ThrowIfFailed();
        ns.Exec("iptables", "-w", "-t", "nat", "-A", "OTHER", "-j", sep).ThrowIfFailed();
        var current = NftablesPartialSyncTests.Initial;
        for (var i = 0; i < 3; i++)
        {
            var (what, snapshot, changed) = NftablesPartialSyncTests.Steps[i];
            var sync = backend.Prepare(snapshot, IptNode, changed.ToHashSet());
            Assert.False(sync.Full, what);
            if (i < 2)
            {
                await backend.ApplyAsync(sync, cts.Token);
                current = snapshot;
                continue;
            }

            Assert.Contains("-X " + sep, sync.Rules, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ProxyApplyException>(() => backend.ApplyAsync(sync, cts.Token));
            current = snapshot;
        }

        // The restore is one transaction: nothing of the failed one is in the kernel.
        Assert.Contains(":" + ChainNames.ClusterPolicy("kube-system/dns:dns", "udp"), ns.Exec("iptables-save", "-t", "nat").ThrowIfFailed().Stdout, StringComparison.Ordinal);

        ns.Exec("iptables", "-w", "-t", "nat", "-F", "OTHER").ThrowIfFailed();
        ns.Exec("iptables", "-w", "-t", "nat", "-X", "OTHER").ThrowIfFailed();
        var next = backend.Prepare(current, IptNode, new HashSet<(string, string)>());
        Assert.True(next.Full);
        await backend.ApplyAsync(next, cts.Token);
        await AssertSameAsFullSyncAsync(ns, current, "the full sync after the failure", cts.Token);
        Assert.False(backend.Prepare(current, IptNode, new HashSet<(string, string)>()).Full);
    }

    /// <summary>
    /// The nftables partial sync tests' traffic scenario in iptables mode: endpoints added and moved, a Service made
    /// sticky and one scaled to 0 by partial syncs; each time the connections go where the rules say.
    /// </summary>
    [SkippableFact]
    public async Task TrafficFollowsPartialSyncs()
    {
        using var ns = Namespace.Create();
        Skip.If(ns is null, Namespace.SkipReason);
        Skip.If(!NftablesPartialSyncTests.HasPython(), "python3 is not installed (the traffic test's listener and client)");
        using var cts = new CancellationTokenSource(Timeout);
        await NftablesPartialSyncTests.TrafficFollowsPartialSyncsAsync(ns, new IptablesBackend(ns.Tool), IptNode, "-m recent --name KUBE-SEP-", cts.Token);
    }

    /// <summary>
    /// <c>iptables-save</c> of one table as a comparable text: chain declarations without counters, sorted; rules
    /// grouped by chain, the chains sorted, the rules of a chain in their order.
    /// </summary>
    internal static string Table(Namespace ns, string table)
    {
        var saved = ns.Exec("iptables-save", "-t", table).ThrowIfFailed().Stdout;
        var chains = new List<string>();
        var rules = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in saved.Split('\n'))
        {
            if (line.StartsWith(':'))
            {
                chains.Add(line[..line.IndexOf(' ', StringComparison.Ordinal)]);
            }
            else if (line.StartsWith("-A ", StringComparison.Ordinal))
            {
                var chain = line.Split(' ')[1];
                if (!rules.TryGetValue(chain, out var list))
                {
                    rules[chain] = list = [];
                }

                list.Add(line);
            }
        }

        var text = new StringBuilder();
        foreach (var chain in chains.Order(StringComparer.Ordinal))
        {
            text.Append(chain).Append('\n');
        }

        foreach (var list in rules.Values)
        {
            foreach (var rule in list)
            {
                text.Append(rule).Append('\n');
            }
        }

        return text.ToString();
    }

    private static async Task AssertSameAsFullSyncAsync(Namespace ns, ProxySnapshot snapshot, string what, CancellationToken cancellationToken)
    {
        using var fullNs = Namespace.Create()!;
        var reference = new IptablesBackend(fullNs.Tool);
        await reference.ApplyAsync(reference.Render(snapshot, IptNode), cancellationToken);
        foreach (var table in (string[])["nat", "filter"])
        {
            var expected = Table(fullNs, table);
            var actual = Table(ns, table);
            Assert.True(expected == actual, $"{what}: the {table} table differs from a full sync's\n--- full sync\n{expected}\n--- partial syncs\n{actual}");
        }
    }

    private static ProxySync Prepare(IptablesBackend backend, IptablesState state, ProxySnapshot snapshot, (string, string)[] changed) =>
        backend.PrepareOn(state, snapshot, state.Node, changed.ToHashSet());

    private static HashSet<string> Lines(string rules) => [.. rules.Split('\n').Where(l => l.Length > 0 && l != "COMMIT")];

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
