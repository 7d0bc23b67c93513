using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// Adoption and release of dependents by one controller (upstream's <c>BaseControllerRefManager.ClaimObject</c>
/// with the pod and ReplicaSet flavours): of the candidates, keep those the controller owns and its selector
/// matches; adopt matching orphans (a strategic merge patch adding a controller ownerReference with
/// <c>blockOwnerDeletion</c>); release owned ones that no longer match (a patch deleting that reference).
/// Objects owned by another controller are left alone. A controller being deleted neither adopts nor
/// releases. Before the first adoption it asks <c>canAdopt</c> once (a fresh read of the controller, so that
/// one deleted meanwhile adopts nothing).
/// <para>
/// Failures: a dependent gone (404) is skipped; a release refused as Invalid (the reference is already gone,
/// or the dependent was recreated: the patch carries its UID as a precondition) is skipped; any other failure
/// is collected and thrown after every candidate was tried, so that the owner is retried with back-off.
/// </para>
/// </summary>
internal sealed class ControllerRefManager<T>(
    IKubernetesObject<V1ObjectMeta> controller,
    string apiVersion,
    string kind,
    LabelSelector selector,
    Func<CancellationToken, Task> canAdopt,
    Func<T, string, CancellationToken, Task> patch)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private Task? _canAdopt;

    /// <summary>Extra conditions a dependent must meet to be claimed, after the selector.</summary>
    public Func<T, bool>? Filter { get; init; }

    /// <summary>Finalizers the adoption patch adds as well (upstream's Job adds its tracking finalizer this way).</summary>
    public IReadOnlyList<string>? AdoptFinalizers { get; init; }

    public async Task<List<T>> ClaimAsync(IEnumerable<T> candidates, CancellationToken cancellationToken)
    {
        var claimed = new List<T>();
        List<Exception>? errors = null;
        foreach (var obj in candidates)
        {
            try
            {
                if (await ClaimAsync(obj, cancellationToken).ConfigureAwait(false))
                {
                    claimed.Add(obj);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                (errors ??= []).Add(e);
            }
        }

        if (errors is not null)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
        }

        return claimed;
    }

    private bool Match(T obj) => selector.Matches(Objects.Labels(obj)) && (Filter?.Invoke(obj) ?? true);

    private async Task<bool> ClaimAsync(T obj, CancellationToken cancellationToken)
    {
        var controllerRef = Objects.ControllerOf(obj);
        if (controllerRef is not null)
        {
            if (controllerRef.Uid != controller.Metadata.Uid)
            {
                return false;
            }

            if (Match(obj))
            {
                // Ours and still selected: claimed even while we are being deleted, since that takes no action.
                return true;
            }

            if (controller.Metadata.DeletionTimestamp is not null)
            {
                return false;
            }

            try
            {
                await patch(obj, ReleasePatch(obj), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e) || ApiErrors.IsInvalid(e))
            {
                // Gone, or recreated, or already released: nothing of ours to release.
            }

            return false;
        }

        if (controller.Metadata.DeletionTimestamp is not null || !Match(obj) || obj.Metadata.DeletionTimestamp is not null)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(controller.Metadata.NamespaceProperty) && controller.Metadata.NamespaceProperty != obj.Metadata.NamespaceProperty)
        {
            return false;
        }

        try
        {
            try
            {
                await (_canAdopt ??= canAdopt(cancellationToken)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"can't adopt {obj.Kind ?? typeof(T).Name} {obj.Metadata.NamespaceProperty}/{obj.Metadata.Name} ({obj.Metadata.Uid}): {ApiErrors.Message(e)}", e);
            }

            await patch(obj, AdoptPatch(obj), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return false;
        }
    }

    /// <summary>Upstream's <c>ownerRefControllerPatch</c>: the object's UID is a precondition of the patch.</summary>
    private string AdoptPatch(T obj)
    {
        var metadata = new JsonObject
        {
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = apiVersion,
                ["kind"] = kind,
                ["name"] = controller.Metadata.Name,
                ["uid"] = controller.Metadata.Uid,
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            }),
            ["uid"] = obj.Metadata.Uid,
        };
        if (AdoptFinalizers is { Count: > 0 } finalizers)
        {
            metadata["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode?)f)]);
        }

        return new JsonObject { ["metadata"] = metadata }.ToJsonString(JsonOptions);
    }

    /// <summary>Upstream's <c>GenerateDeleteOwnerRefStrategicMergeBytes</c>.</summary>
    private string ReleasePatch(T obj) => new JsonObject
    {
        ["metadata"] = new JsonObject
        {
            ["ownerReferences"] = new JsonArray(new JsonObject { ["$patch"] = "delete", ["uid"] = controller.Metadata.Uid }),
            ["uid"] = obj.Metadata.Uid,
        },
    }.ToJsonString(JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}

/// <summary>Builds upstream's <c>RecheckDeletionTimestamp</c> check for <see cref="ControllerRefManager{T}"/>.</summary>
internal static class AdoptionChecks
{
    /// <summary>
    /// Reads the controller fresh; fails when it is gone, was replaced by another of the same name (a new
    /// UID), or is being deleted.
    /// </summary>
    public static Func<CancellationToken, Task> RecheckDeletionTimestamp<TOwner>(IKubernetesObject<V1ObjectMeta> cached, string kind, Func<CancellationToken, Task<TOwner>> get)
        where TOwner : IKubernetesObject<V1ObjectMeta> =>
        async cancellationToken =>
        {
            var fresh = await get(cancellationToken).ConfigureAwait(false);
            if (fresh.Metadata.Uid != cached.Metadata.Uid)
            {
                throw new InvalidOperationException($"original {kind} {cached.Metadata.NamespaceProperty}/{cached.Metadata.Name} is gone: got uid {fresh.Metadata.Uid}, wanted {cached.Metadata.Uid}");
            }

            if (fresh.Metadata.DeletionTimestamp is { } deleted)
            {
                throw new InvalidOperationException($"{cached.Metadata.NamespaceProperty}/{cached.Metadata.Name} has just been deleted at {MetaTime.Utc(deleted):yyyy-MM-dd'T'HH:mm:ss'Z'}");
            }
        };
}
