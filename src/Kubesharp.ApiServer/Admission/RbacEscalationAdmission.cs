using k8s;
using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's RBAC escalation prevention (the role and binding REST strategies): creating or updating a
/// Role or ClusterRole needs the requester to hold every rule in it or the <c>escalate</c> verb on it;
/// creating or updating a binding needs <c>bind</c> on the role it references or every rule of that role.
/// A refusal is 403 with upstream's message and nothing is written.
/// </summary>
internal sealed class RbacEscalationAdmission(RbacSource rbac, IAuthorizer authorizer) : IAdmissionPlugin
{
    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Resource.Group != "rbac.authorization.k8s.io" || request.Object is not { } obj || request.Operation == AdmissionOperation.Delete)
        {
            return ValueTask.CompletedTask;
        }

        var json = obj.ToJsonString();
        var snapshot = rbac.Current;
        var isCreate = request.Operation == AdmissionOperation.Create;
        var refusal = request.Resource.Plural switch
        {
            "roles" => RbacWriteCheck.CheckRole(request.User, request.Namespace, request.Name, isCreate, KubernetesJson.Deserialize<V1Role>(json).Rules, snapshot, authorizer),
            "clusterroles" => RbacWriteCheck.CheckClusterRole(request.User, KubernetesJson.Deserialize<V1ClusterRole>(json),
                request.OldObject is { } old ? KubernetesJson.Deserialize<V1ClusterRole>(old.ToJsonString()) : null, isCreate, snapshot, authorizer),
            "rolebindings" => RbacWriteCheck.CheckRoleBinding(request.User, request.Namespace, request.Name, KubernetesJson.Deserialize<V1RoleBinding>(json).RoleRef, snapshot, authorizer),
            "clusterrolebindings" => RbacWriteCheck.CheckClusterRoleBinding(request.User, request.Name, KubernetesJson.Deserialize<V1ClusterRoleBinding>(json).RoleRef, snapshot, authorizer),
            _ => null,
        };
        if (refusal is not null)
        {
            throw StatusException.ForbiddenWithMessage(request.Resource.Group, request.Resource.Plural, request.Name, refusal);
        }

        return ValueTask.CompletedTask;
    }
}
