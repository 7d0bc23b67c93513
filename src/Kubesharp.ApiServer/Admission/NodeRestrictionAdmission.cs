using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth.Authorization;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's NodeRestriction admission plugin: a kubelet (<c>system:node:NAME</c>) may change only its own
/// Node and Lease and the pods bound to it (see <see cref="NodeRestriction"/>). Other users pass untouched.
/// </summary>
internal sealed class NodeRestrictionAdmission : IAdmissionPlugin
{
    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (!NodeIdentity.IsNode(request.User, out _))
        {
            return ValueTask.CompletedTask;
        }

        var verb = request.Operation switch
        {
            AdmissionOperation.Create => "create",
            AdmissionOperation.Update => "update",
            _ => "delete",
        };
        var refusal = NodeRestriction.Admit(request.User, verb, request.Resource.Group, request.Resource.Plural, request.Subresource, request.Namespace, request.Name,
            Element(request.OldObject), Element(request.Object));
        if (refusal is not null)
        {
            throw StatusException.ForbiddenWithMessage(request.Resource.Group, request.Resource.Plural, request.Name, refusal);
        }

        return ValueTask.CompletedTask;
    }

    private static JsonElement? Element(JsonObject? obj) => obj is null ? null : JsonSerializer.SerializeToElement(obj);
}
