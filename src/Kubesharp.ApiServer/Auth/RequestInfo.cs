using Kubesharp.ApiServer.Auth.Authorization;
using Kubesharp.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// What a request asks to do, for authorization: upstream's RequestInfoFactory. A path under
/// <c>/api/v1/...</c> or <c>/apis/G/V/...</c> that names a resource is a resource request whose verb comes
/// from the method (GET is get, list or watch; POST create; PUT update; PATCH patch; DELETE delete or
/// deletecollection); anything else (<c>/api</c>, <c>/apis/apps/v1</c>, <c>/healthz</c>) is a non-resource
/// request whose verb is the lower-case method.
/// </summary>
internal static class RequestInfo
{
    public static RequestAttributes Resolve(UserInfo user, HttpRequest request, ApiPath? path)
    {
        var urlPath = request.Path.Value ?? "/";
        if (path is null || path.IsGroupVersionRoot)
        {
            return new RequestAttributes(user, NonResourceVerb(request.Method), false, urlPath);
        }

        var resource = path.Resource!;
        var name = path.Name ?? "";
        var ns = path.Namespace ?? "";
        string verb;
        switch (request.Method)
        {
            case "GET" or "HEAD":
                var watch = request.Query["watch"].ToString() is "true" or "1";
                verb = watch ? "watch" : path.Name is null ? "list" : "get";
                if (path.Name is null && FieldSelectorName(request.Query["fieldSelector"].ToString()) is { } selected)
                {
                    // Upstream: a list or watch narrowed to metadata.name=X is authorized as a request for X.
                    name = selected;
                }

                break;
            case "POST":
                verb = "create";
                break;
            case "PUT":
                verb = "update";
                break;
            case "PATCH":
                verb = "patch";
                break;
            case "DELETE":
                verb = path.Name is null ? "deletecollection" : "delete";
                break;
            default:
                verb = request.Method.ToLowerInvariant();
                break;
        }

        if (resource.Plural == "namespaces" && resource.Group.Length == 0 && name.Length > 0)
        {
            // Upstream: /api/v1/namespaces/NS is in namespace NS, so that a RoleBinding there can grant it.
            ns = name;
        }

        return new RequestAttributes(user, verb, true, urlPath, resource.Group, resource.Version, resource.Plural, path.Subresource ?? "", ns, name)
        {
            // The node authorizer lets a kubelet list and watch pods narrowed to spec.nodeName=itself.
            FieldSelector = verb is "list" or "watch" ? request.Query["fieldSelector"].ToString() : "",
        };
    }

    private static string NonResourceVerb(string method) => method switch
    {
        "GET" or "HEAD" => "get",
        _ => method.ToLowerInvariant(),
    };

    private static string? FieldSelectorName(string selector)
    {
        foreach (var term in selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var prefix in (string[])["metadata.name=", "metadata.name=="])
            {
                if (term.StartsWith(prefix, StringComparison.Ordinal) && !term.StartsWith("metadata.name!=", StringComparison.Ordinal))
                {
                    var value = term[prefix.Length..];
                    if (!value.StartsWith('=') && value.Length > 0)
                    {
                        return value;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Upstream's forbidden message for a decision that did not allow the request.</summary>
    public static string ForbiddenMessage(RequestAttributes a)
    {
        if (!a.IsResourceRequest)
        {
            return $"User \"{a.User.Name}\" cannot {a.Verb} path \"{a.Path}\"";
        }

        var resource = a.Subresource.Length > 0 ? a.Resource + "/" + a.Subresource : a.Resource;
        return a.Namespace.Length > 0
            ? $"User \"{a.User.Name}\" cannot {a.Verb} resource \"{resource}\" in API group \"{a.ApiGroup}\" in the namespace \"{a.Namespace}\""
            : $"User \"{a.User.Name}\" cannot {a.Verb} resource \"{resource}\" in API group \"{a.ApiGroup}\" at the cluster scope";
    }
}
