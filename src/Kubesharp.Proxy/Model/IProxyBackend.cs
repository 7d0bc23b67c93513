namespace Kubesharp.Proxy.Model;

/// <summary>
/// A proxy mode (iptables, nftables): renders the whole ruleset for a snapshot in memory and applies it in one
/// transaction (<c>iptables-restore</c>, <c>nft -f</c>), and removes everything it ever wrote on <c>--cleanup</c>.
/// </summary>
public interface IProxyBackend
{
    /// <summary><c>iptables</c> or <c>nftables</c>.</summary>
    string Mode { get; }

    /// <summary>The complete input of one atomic apply for this snapshot. Pure: same input, same bytes (golden tests).</summary>
    string Render(ProxySnapshot snapshot, NodeProxyContext node);

    /// <summary>Applies a rendered ruleset atomically; throws <see cref="ProxyApplyException"/> when the kernel refused it.</summary>
    Task ApplyAsync(string rules, CancellationToken cancellationToken);

    /// <summary>Removes every chain, rule, table and set this mode writes.</summary>
    Task CleanupAsync(CancellationToken cancellationToken);
}

/// <summary>The rule tool refused a ruleset: its exit code and what it printed.</summary>
public sealed class ProxyApplyException(string message) : Exception(message);
