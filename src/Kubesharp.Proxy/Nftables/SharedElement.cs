namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// One element of a set or map that several Service ports write into (<c>cluster-ips</c>, <c>service-ips</c>,
/// <c>service-nodeports</c>, the no-endpoint maps, the fast path's endpoint maps), as a partial sync diffs them:
/// <c>add element ip kube-proxy SET { KEY REST }</c> adds it, <c>delete element ip kube-proxy SET { KEY }</c> removes it.
/// </summary>
/// <param name="Set">The set or map.</param>
/// <param name="Key">The key as nft reads it (<c>10.43.0.1 . tcp . 80</c>).</param>
/// <param name="Rest">What follows the key: an optional <c> comment "..."</c> and, for a map, <c> : VALUE</c>; empty for a set.</param>
internal readonly record struct SharedElement(string Set, string Key, string Rest);
