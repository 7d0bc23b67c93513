using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's CertificateSigningRequest strategies, which need the requester: a new CSR records who asked
/// (<c>spec.username</c>, <c>uid</c>, <c>groups</c>, <c>extra</c>, whatever the body said) and starts with
/// no status; <c>/approval</c> changes only the Approved and Denied conditions, <c>/status</c> only the rest
/// (the certificate, other conditions). An Approved and a Denied condition together are refused (422),
/// and neither may be removed once set.
/// </summary>
internal sealed class CertificateSigningRequestAdmission : IAdmissionPlugin
{
    private static readonly string[] Decisions = ["Approved", "Denied"];

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Resource.Group != "certificates.k8s.io" || request.Resource.Plural != "certificatesigningrequests" || request.Object is not { } csr)
        {
            return ValueTask.CompletedTask;
        }

        switch (request.Operation)
        {
            case AdmissionOperation.Create:
                var spec = csr["spec"] as JsonObject ?? [];
                csr["spec"] = spec;
                spec["username"] = request.User.Name;
                spec["groups"] = new JsonArray([.. request.User.Groups.Select(g => (JsonNode)JsonValue.Create(g))]);
                if (request.User.Uid is { Length: > 0 } uid)
                {
                    spec["uid"] = uid;
                }
                else
                {
                    spec.Remove("uid");
                }

                if (request.User.Extra.Count > 0)
                {
                    var extra = new JsonObject();
                    foreach (var (key, values) in request.User.Extra)
                    {
                        extra[key] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
                    }

                    spec["extra"] = extra;
                }
                else
                {
                    spec.Remove("extra");
                }

                csr.Remove("status");
                break;
            case AdmissionOperation.Update when request.Subresource == "approval":
                Keep(csr, request.OldObject, decisions: false);
                CheckDecisions(request, csr);
                break;
            case AdmissionOperation.Update when request.Subresource == "status":
                Keep(csr, request.OldObject, decisions: true);
                break;
            case AdmissionOperation.Update:
                break;
        }

        return ValueTask.CompletedTask;
    }

    // Carries the old object's conditions of one family (decisions or the rest) and, for approval, the certificate.
    private static void Keep(JsonObject csr, JsonObject? old, bool decisions)
    {
        var status = csr["status"] as JsonObject ?? [];
        csr["status"] = status;
        var oldStatus = old?["status"] as JsonObject;
        var kept = (oldStatus?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => IsDecision(c) == decisions).Select(c => (JsonNode)c.DeepClone());
        var mine = (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => IsDecision(c) != decisions).Select(c => (JsonNode)c.DeepClone());
        var conditions = new JsonArray([.. mine, .. kept]);
        if (conditions.Count > 0)
        {
            status["conditions"] = conditions;
        }
        else
        {
            status.Remove("conditions");
        }

        if (!decisions)
        {
            if (oldStatus?["certificate"] is { } certificate)
            {
                status["certificate"] = certificate.DeepClone();
            }
            else
            {
                status.Remove("certificate");
            }
        }
    }

    private static void CheckDecisions(AdmissionRequest request, JsonObject csr)
    {
        var types = ((csr["status"] as JsonObject)?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => c["type"]?.GetValue<string>()).ToList();
        if (types.Contains("Approved") && types.Contains("Denied"))
        {
            throw StatusException.Invalid(request.Resource.Group, request.Resource.Kind, request.Name,
                [new StatusCause("FieldValueInvalid", "Invalid value: \"Approved\": Approved and Denied conditions are mutually exclusive", "status.conditions[1].type")]);
        }

        var oldTypes = ((request.OldObject?["status"] as JsonObject)?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => c["type"]?.GetValue<string>());
        foreach (var decision in oldTypes.Where(t => t is not null && Decisions.Contains(t)))
        {
            if (!types.Contains(decision))
            {
                throw StatusException.Invalid(request.Resource.Group, request.Resource.Kind, request.Name,
                    [new StatusCause("FieldValueForbidden", $"Forbidden: updates may not remove a condition of type \"{decision}\"", "status.conditions")]);
            }
        }
    }

    private static bool IsDecision(JsonObject condition) => condition["type"]?.GetValue<string>() is { } type && Decisions.Contains(type);
}
