using Kubesharp.Proxy.Iptables;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;

namespace Kubesharp.Proxy.Proxier;

/// <summary>The proxy modes by name (<c>--proxy-mode</c>); the one place a new backend is added.</summary>
public static class ProxyBackends
{
    public const string Iptables = "iptables";
    public const string Nftables = "nftables";

    public static IReadOnlyList<string> Modes { get; } = [Iptables, Nftables];

    /// <summary>The backend for <paramref name="mode"/>, or null for an unknown mode.</summary>
    public static IProxyBackend? Create(string mode, RuleTool tool) => mode switch
    {
        Iptables => new IptablesBackend(tool),
        Nftables => new NftablesBackend(tool),
        _ => null,
    };
}
