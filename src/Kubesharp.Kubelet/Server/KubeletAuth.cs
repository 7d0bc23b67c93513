using System.Security.Cryptography.X509Certificates;

namespace Kubesharp.Kubelet.Server;

/// <summary>A caller of the kubelet's API, as its client certificate says (CN the user, O the groups).</summary>
public sealed record KubeletUser(string Name, IReadOnlyList<string> Groups);

/// <summary>What a request asks of the kubelet, as upstream's kubelet authorizer sees it: a verb on <c>nodes/SUBRESOURCE</c> of this node.</summary>
public sealed record KubeletRequestAttributes(KubeletUser User, string Verb, string Subresource, string NodeName, string Path);

/// <summary>
/// Decides whether a caller may do what it asks of the kubelet. Implementations must be thread-safe. An exception
/// (the API server cannot be reached) is answered 500 and not cached; the caller may retry.
/// </summary>
public interface IKubeletAuthorizer
{
    ValueTask<bool> AuthorizeAsync(KubeletRequestAttributes attributes, CancellationToken cancellationToken);
}

/// <summary>Upstream's kubelet authentication (x509 part) and the request-to-attributes mapping of <c>pkg/kubelet/server/auth.go</c>.</summary>
public static class KubeletAuth
{
    /// <summary>
    /// The user of a client certificate that chains to <paramref name="ca"/> and is valid now, else null:
    /// CN is the user name, each O a group, and <c>system:authenticated</c> is added, as upstream's x509 authenticator does.
    /// </summary>
    public static KubeletUser? Authenticate(X509Certificate2? certificate, X509Certificate2 ca, DateTimeOffset now)
    {
        if (certificate is null)
        {
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        if (!chain.Build(certificate))
        {
            return null;
        }

        var name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        List<string> groups = [];
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() is { Length: > 0 } org)
            {
                groups.Add(org);
            }
        }

        groups.Add("system:authenticated");
        return new KubeletUser(name, groups);
    }

    /// <summary>
    /// Upstream's <c>GetRequestAttributes</c>: the verb from the method (GET and HEAD get, POST create, PUT update,
    /// PATCH patch, DELETE delete), on <c>nodes/proxy</c> of this node, except <c>/stats</c>, <c>/metrics</c>,
    /// <c>/logs</c> and <c>/spec</c>, which are their own subresources (<c>log</c> for <c>/logs</c>). Container logs
    /// (<c>/containerLogs</c>), exec and attach are <c>proxy</c>.
    /// </summary>
    public static KubeletRequestAttributes Attributes(KubeletUser user, string method, string path, string nodeName)
    {
        var verb = method switch
        {
            "GET" or "HEAD" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };
        var subresource = "proxy";
        if (IsSubpath(path, "/stats"))
        {
            subresource = "stats";
        }
        else if (IsSubpath(path, "/metrics"))
        {
            subresource = "metrics";
        }
        else if (IsSubpath(path, "/logs"))
        {
            subresource = "log";
        }
        else if (IsSubpath(path, "/spec"))
        {
            subresource = "spec";
        }

        return new KubeletRequestAttributes(user, verb, subresource, nodeName, path);
    }

    /// <summary>Upstream's forbidden text.</summary>
    public static string ForbiddenMessage(KubeletRequestAttributes a) =>
        $"Forbidden (user={a.User.Name}, verb={a.Verb}, resource=nodes, subresource={a.Subresource})";

    private static bool IsSubpath(string path, string prefix) =>
        path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);
}
