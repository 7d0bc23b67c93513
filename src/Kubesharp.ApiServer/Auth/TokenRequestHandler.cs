using System.Net;
using System.Text.Json.Nodes;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Http;
using Kubesharp.ApiServer.Rest;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// <c>POST /api/v1/namespaces/NS/serviceaccounts/NAME/token</c>: upstream's TokenRequest. Issues a bound,
/// expiring token for an existing service account: audiences (the API's when none are asked for),
/// <c>expirationSeconds</c> (3600 by default, at least 600), and optionally the Pod, Secret or Node it is
/// bound to, which must exist with the uid given. Answers 201 with the request, its defaults and the token.
/// </summary>
internal sealed class TokenRequestHandler(ServiceAccountTokenIssuer issuer, ClusterObjectReader reader, IReadOnlyList<string> apiAudiences)
{
    private const string Group = "authentication.k8s.io";

    public static bool Handles(ApiPath path) =>
        path.Resource is { Group: "", Plural: "serviceaccounts" } && path.Subresource == "token" && path.Name is not null;

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        if (context.Request.Method != "POST")
        {
            throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({context.Request.Method} serviceaccounts/token)");
        }

        var ns = path.Namespace!;
        var name = path.Name!;
        var cancellationToken = context.RequestAborted;
        var request = ObjectJson.ParseObject(await RestHandler.ReadBodyAsync(context.Request));
        if (Text(request, "kind") is { Length: > 0 } kind && kind != "TokenRequest")
        {
            throw StatusException.BadRequest($"TokenRequest in version \"v1\" cannot be handled as a {kind}");
        }

        var account = await reader.GetServiceAccountAsync(ns, name, cancellationToken) ?? throw StatusException.NotFound("", "serviceaccounts", name);
        var spec = request["spec"] as JsonObject ?? [];
        request["spec"] = spec;
        var seconds = spec["expirationSeconds"] is JsonValue v && v.TryGetValue<long>(out var given) ? given : ServiceAccountTokenIssuer.DefaultExpirationSeconds;
        if (seconds < ServiceAccountTokenIssuer.MinimumExpirationSeconds)
        {
            throw Invalid(name, "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration less than 10 minutes");
        }

        if (seconds > 1L << 32)
        {
            throw Invalid(name, "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds");
        }

        spec["expirationSeconds"] = seconds;
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.GetValue<string>() ?? "").Where(a => a.Length > 0).ToList() ?? [];
        if (audiences.Count == 0)
        {
            audiences = [.. apiAudiences];
        }

        spec["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode)JsonValue.Create(a))]);
        V1Pod? pod = null;
        V1Secret? secret = null;
        V1Node? node = null;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var boundKind = Text(bound, "kind");
            var boundName = Text(bound, "name");
            var boundUid = Text(bound, "uid");
            var apiVersion = Text(bound, "apiVersion");
            if (apiVersion is not ("" or "v1"))
            {
                throw StatusException.BadRequest($"cannot bind token to object of type {apiVersion}, Kind={boundKind}");
            }

            string? actualUid;
            switch (boundKind)
            {
                case "Pod":
                    pod = await reader.GetPodAsync(ns, boundName, cancellationToken) ?? throw StatusException.NotFound("", "pods", boundName);
                    if (pod.Spec?.ServiceAccountName is { Length: > 0 } podAccount && podAccount != name)
                    {
                        throw StatusException.BadRequest($"cannot bind token for serviceaccount \"{name}\" to pod running with different serviceaccount name.");
                    }

                    actualUid = pod.Metadata.Uid;
                    if (pod.Spec?.NodeName is { Length: > 0 } nodeName)
                    {
                        node = await reader.GetNodeAsync(nodeName, cancellationToken);
                    }

                    break;
                case "Secret":
                    secret = await reader.GetSecretAsync(ns, boundName, cancellationToken) ?? throw StatusException.NotFound("", "secrets", boundName);
                    actualUid = secret.Metadata.Uid;
                    break;
                case "Node":
                    node = await reader.GetNodeAsync(boundName, cancellationToken) ?? throw StatusException.NotFound("", "nodes", boundName);
                    actualUid = node.Metadata.Uid;
                    break;
                default:
                    throw StatusException.BadRequest($"cannot bind token to object of type /v1, Kind={boundKind}");
            }

            if (boundUid.Length > 0 && boundUid != actualUid)
            {
                throw StatusException.Conflict("", boundKind, boundName,
                    $"the UID in the bound object reference ({boundUid}) does not match the UID in record. The object might have been deleted and then recreated");
            }

            bound["apiVersion"] = "v1";
            bound["uid"] = actualUid;
        }

        var issued = issuer.IssueBound(new BoundTokenRequest(account, audiences, seconds, pod, secret, node));
        request["kind"] = "TokenRequest";
        request["apiVersion"] = Group + "/v1";
        request["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["creationTimestamp"] = null };
        request["status"] = new JsonObject
        {
            ["token"] = issued.Token,
            ["expirationTimestamp"] = ObjectJson.Time(issued.ExpirationTimestamp),
        };
        await RestHandler.WriteObjectAsync(context, HttpStatusCode.Created, request);
    }

    private static StatusException Invalid(string name, string field, string message) =>
        StatusException.Invalid(Group, "TokenRequest", name, [new StatusCause("FieldValueInvalid", message, field)]);

    private static string Text(JsonObject? obj, string name) => obj?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
