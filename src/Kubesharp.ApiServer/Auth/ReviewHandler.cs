using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Auth.Authorization;
using Kubesharp.ApiServer.Http;
using Kubesharp.ApiServer.Rest;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// The review kinds, computed and never stored: authorization.k8s.io's SubjectAccessReview,
/// LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview; authentication.k8s.io's
/// TokenReview and SelfSubjectReview. Each answers 201 with the request object and its status filled in,
/// as upstream. These power <c>kubectl auth can-i</c> (with <c>--list</c>) and <c>kubectl auth whoami</c>.
/// </summary>
internal sealed class ReviewHandler(RequestAuth auth, ISubjectRulesResolver rules)
{
    public static bool Handles(ResourceInfo resource) => resource.Group is "authorization.k8s.io" or "authentication.k8s.io" && resource.Custom is null;

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        var resource = path.Resource!;
        if (context.Request.Method != "POST" || path.Name is not null || path.Subresource is not null)
        {
            throw StatusException.MethodNotAllowed($"the server does not allow this method on the requested resource ({context.Request.Method} {resource.Plural})");
        }

        var review = ObjectJson.ParseObject(await RestHandler.ReadBodyAsync(context.Request));
        ObjectJson.CheckTypeMeta(review, resource, resource.Kind, resource.GroupVersion);
        var user = RestHandler.UserOf(context);
        var spec = review["spec"] as JsonObject ?? [];
        review["spec"] = spec;
        var meta = ObjectJson.Metadata(review);
        meta["creationTimestamp"] = null;
        review["status"] = resource.Kind switch
        {
            "SelfSubjectAccessReview" => Access(resource, user, spec, path.Namespace),
            "LocalSubjectAccessReview" => Access(resource, SubjectOf(resource, spec), spec, path.Namespace ?? ""),
            "SubjectAccessReview" => Access(resource, SubjectOf(resource, spec), spec, null),
            "SelfSubjectRulesReview" => Rules(user, spec),
            "SelfSubjectReview" => new JsonObject { ["userInfo"] = UserJson(user) },
            "TokenReview" => await TokenAsync(resource, spec, context.RequestAborted),
            _ => throw StatusResponses.NotFoundPath(context.Request.Path),
        };
        if (resource.Kind == "LocalSubjectAccessReview")
        {
            meta["namespace"] = path.Namespace;
        }

        await RestHandler.WriteObjectAsync(context, HttpStatusCode.Created, review);
    }

    private JsonObject Access(ResourceInfo resource, UserInfo subject, JsonObject spec, string? localNamespace)
    {
        var resourceAttributes = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((resourceAttributes is null) == (nonResource is null))
        {
            throw Invalid(resource, "spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }

        if (localNamespace is not null && resource.Kind == "LocalSubjectAccessReview")
        {
            if (nonResource is not null)
            {
                throw Invalid(resource, "spec.nonResourceAttributes", "disallowed on this kind of request");
            }

            if (Text(resourceAttributes, "namespace") != localNamespace)
            {
                throw Invalid(resource, "spec.resourceAttributes.namespace", "must match metadata.namespace");
            }
        }

        var attributes = resourceAttributes is not null
            ? new RequestAttributes(subject, Text(resourceAttributes, "verb"), true, "", Text(resourceAttributes, "group"), Text(resourceAttributes, "version"),
                Text(resourceAttributes, "resource"), Text(resourceAttributes, "subresource"), Text(resourceAttributes, "namespace"), Text(resourceAttributes, "name"))
            : new RequestAttributes(subject, Text(nonResource, "verb"), false, Text(nonResource, "path"));
        var decision = auth.Authorizer.Authorize(attributes);
        var status = new JsonObject { ["allowed"] = decision.Outcome == AuthorizationOutcome.Allow };
        if (decision.Outcome == AuthorizationOutcome.Deny)
        {
            status["denied"] = true;
        }

        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }

        return status;
    }

    private JsonObject Rules(UserInfo user, JsonObject spec)
    {
        var review = rules.RulesFor(user, Text(spec, "namespace"));
        var status = new JsonObject
        {
            ["resourceRules"] = new JsonArray([.. review.ResourceRules.Select(r =>
            {
                var rule = new JsonObject
                {
                    ["verbs"] = Strings(r.Verbs ?? []),
                    ["apiGroups"] = Strings(r.ApiGroups ?? []),
                    ["resources"] = Strings(r.Resources ?? []),
                };
                if (r.ResourceNames is { Count: > 0 } names)
                {
                    rule["resourceNames"] = Strings(names);
                }

                return (JsonNode)rule;
            })]),
            ["nonResourceRules"] = new JsonArray([.. review.NonResourceRules.Select(r => (JsonNode)new JsonObject
            {
                ["verbs"] = Strings(r.Verbs ?? []),
                ["nonResourceURLs"] = Strings(r.NonResourceURLs ?? []),
            })]),
            ["incomplete"] = review.Incomplete,
        };
        if (review.EvaluationError is { Length: > 0 } error)
        {
            status["evaluationError"] = error;
        }

        return status;
    }

    private async Task<JsonObject> TokenAsync(ResourceInfo resource, JsonObject spec, CancellationToken cancellationToken)
    {
        var token = Text(spec, "token");
        if (token.Length == 0)
        {
            throw Invalid(resource, "spec.token", "token must be specified");
        }

        var result = await auth.Authenticator.AuthenticateAsync(new AuthenticationRequest(null, token), cancellationToken);
        if (result.Outcome != AuthenticationOutcome.Success)
        {
            // Upstream reports a failed review in the status, never as an error of the request.
            return new JsonObject { ["user"] = new JsonObject(), ["error"] = result.Reason ?? "token not recognised" };
        }

        var requested = spec["audiences"] as JsonArray;
        var audiences = result.Audiences ?? [];
        if (requested is { Count: > 0 })
        {
            var wanted = requested.Select(a => a?.GetValue<string>() ?? "").ToList();
            var matched = audiences.Count == 0 ? wanted : wanted.Where(audiences.Contains).ToList();
            if (matched.Count == 0)
            {
                return new JsonObject { ["user"] = new JsonObject(), ["error"] = "token audiences are invalid" };
            }

            audiences = matched;
        }

        var status = new JsonObject { ["authenticated"] = true, ["user"] = UserJson(result.User!) };
        if (audiences.Count > 0)
        {
            status["audiences"] = Strings(audiences);
        }

        return status;
    }

    private static UserInfo SubjectOf(ResourceInfo resource, JsonObject spec)
    {
        var name = Text(spec, "user");
        var groups = (spec["groups"] as JsonArray)?.Select(g => g?.GetValue<string>() ?? "").ToArray() ?? [];
        if (name.Length == 0 && groups.Length == 0)
        {
            throw Invalid(resource, "spec.user", "at least one of user or group must be specified");
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (spec["extra"] is JsonObject extras)
        {
            foreach (var (key, values) in extras)
            {
                extra[key] = (values as JsonArray)?.Select(v => v?.GetValue<string>() ?? "").ToArray() ?? [];
            }
        }

        var uid = Text(spec, "uid");
        return new UserInfo(name, uid.Length == 0 ? null : uid, groups, extra);
    }

    internal static JsonObject UserJson(UserInfo user)
    {
        var json = new JsonObject { ["username"] = user.Name };
        if (user.Uid is { Length: > 0 } uid)
        {
            json["uid"] = uid;
        }

        json["groups"] = Strings(user.Groups);
        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (key, values) in user.Extra)
            {
                extra[key] = Strings(values);
            }

            json["extra"] = extra;
        }

        return json;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static string Text(JsonObject? obj, string name) => obj?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static StatusException Invalid(ResourceInfo resource, string field, string message) =>
        StatusException.Invalid(resource.Group, resource.Kind, "", [new StatusCause("FieldValueInvalid", $"Invalid value: \"null\": {message}", field)]);
}
