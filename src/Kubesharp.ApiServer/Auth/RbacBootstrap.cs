using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth.Authorization;
using Kubesharp.ApiServer.Rest;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// Upstream's RBAC bootstrap at API server start (the <c>rbac/bootstrap-roles</c> post-start hook): every
/// default ClusterRole, ClusterRoleBinding, Role and RoleBinding is created when missing and reconciled
/// when it lacks rules or subjects (unless annotated <c>rbac.authorization.kubernetes.io/autoupdate:
/// "false"</c>); then aggregated ClusterRoles (admin, edit, view) get the union of the roles they select,
/// so that they work before the controller manager's aggregation controller runs. Idempotent; several
/// servers starting together on one store are safe (a lost race is left to the winner).
/// </summary>
internal sealed class RbacBootstrap(IStore store, ResourceTable table, TimeProvider time)
{
    private const string Group = "rbac.authorization.k8s.io";

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        foreach (var role in BootstrapPolicy.AllClusterRoles())
        {
            var existing = await ReadAsync<V1ClusterRole>("clusterroles", null, role.Metadata.Name, cancellationToken);
            await WriteAsync("clusterroles", null, role.Metadata.Name, BootstrapReconciliation.Reconcile(existing.Object, role), existing.Revision, cancellationToken);
        }

        foreach (var binding in BootstrapPolicy.AllClusterRoleBindings())
        {
            var existing = await ReadAsync<V1ClusterRoleBinding>("clusterrolebindings", null, binding.Metadata.Name, cancellationToken);
            await WriteAsync("clusterrolebindings", null, binding.Metadata.Name, BootstrapReconciliation.Reconcile(existing.Object, binding), existing.Revision, cancellationToken);
        }

        foreach (var role in BootstrapPolicy.NamespaceRoles())
        {
            var existing = await ReadAsync<V1Role>("roles", role.Metadata.NamespaceProperty, role.Metadata.Name, cancellationToken);
            await WriteAsync("roles", role.Metadata.NamespaceProperty, role.Metadata.Name, BootstrapReconciliation.Reconcile(existing.Object, role), existing.Revision, cancellationToken);
        }

        foreach (var binding in BootstrapPolicy.NamespaceRoleBindings())
        {
            var existing = await ReadAsync<V1RoleBinding>("rolebindings", binding.Metadata.NamespaceProperty, binding.Metadata.Name, cancellationToken);
            await WriteAsync("rolebindings", binding.Metadata.NamespaceProperty, binding.Metadata.Name, BootstrapReconciliation.Reconcile(existing.Object, binding), existing.Revision, cancellationToken);
        }

        await AggregateAsync(cancellationToken);
    }

    private async Task AggregateAsync(CancellationToken cancellationToken)
    {
        var resource = table.Find(Group, "v1", "clusterroles")!;
        var listed = await store.ListAsync(resource.StoragePrefix, cancellationToken: cancellationToken);
        var all = listed.Items.Select(kv => (Role: KubernetesJson.Deserialize<V1ClusterRole>(System.Text.Encoding.UTF8.GetString(kv.Value)), kv.ModRevision)).ToList();
        // Aggregated roles select aggregated roles (admin takes edit, which takes view): to a fixed point.
        var aggregated = ClusterRoleAggregation.AggregateAll(all.Select(r => r.Role));
        for (var i = 0; i < all.Count; i++)
        {
            var (role, revision) = all[i];
            if (role.AggregationRule is null || ClusterRoleAggregation.RulesEqual(role.Rules, aggregated[i].Rules))
            {
                continue;
            }

            role.Rules = aggregated[i].Rules;
            await WriteAsync("clusterroles", null, role.Metadata.Name, new ReconcileResult<V1ClusterRole>(ReconcileOperation.Update, role), revision, cancellationToken);
        }
    }

    private async Task<(T? Object, long Revision)> ReadAsync<T>(string plural, string? ns, string name, CancellationToken cancellationToken)
        where T : class
    {
        var resource = table.Find(Group, "v1", plural)!;
        var kv = await store.GetAsync(resource.StorageKey(ns, name), 0, cancellationToken);
        return kv is null ? (null, 0) : (KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(kv.Value)), kv.ModRevision);
    }

    private async Task WriteAsync<T>(string plural, string? ns, string name, ReconcileResult<T> result, long revision, CancellationToken cancellationToken)
        where T : class
    {
        if (result.Operation == ReconcileOperation.None || result.Object is null)
        {
            return;
        }

        var resource = table.Find(Group, "v1", plural)!;
        var key = resource.StorageKey(ns, name);
        var obj = JsonNode.Parse(KubernetesJson.Serialize(result.Object))!.AsObject();
        obj["kind"] = resource.Kind;
        obj["apiVersion"] = resource.GroupVersion;
        var meta = ObjectJson.Metadata(obj);
        meta.Remove("resourceVersion");
        if (result.Operation == ReconcileOperation.Recreate)
        {
            await store.DeleteAsync(key, revision, cancellationToken);
        }

        if (result.Operation is ReconcileOperation.Create or ReconcileOperation.Recreate || meta["uid"] is null)
        {
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = ObjectJson.Time(time.GetUtcNow());
            await store.CreateAsync(key, ObjectJson.ToStorage(obj), null, cancellationToken);
            return;
        }

        // A lost compare-and-swap means another server reconciled it first.
        await store.UpdateAsync(key, ObjectJson.ToStorage(obj), revision, null, cancellationToken);
    }
}
