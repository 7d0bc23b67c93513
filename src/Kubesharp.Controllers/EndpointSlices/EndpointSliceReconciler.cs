using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Endpoints;
using ApiErrors = Kubesharp.Controllers.Dynamic.ApiErrors;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>The writes one sync makes for one address type: slices to create, to update (whole) and to delete.</summary>
internal sealed record SlicePlan(List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete);

/// <summary>A write of the reconciler failed; the message says which, as upstream's.</summary>
public sealed class EndpointSliceWriteException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Upstream's EndpointSlice reconciler (<c>k8s.io/endpointslice/reconciler.go</c>), without topology hints and
/// traffic distribution. For each address type the service wants, it turns the selected pods into endpoints,
/// groups them by their set of ports, and brings the service's slices to them with as few writes as it can:
/// <list type="number">
/// <item>each existing slice keeps the endpoints still desired (updated in place when their conditions, node or
/// zone changed); a slice left empty is deleted; a slice whose service labels drifted is updated;</item>
/// <item>slices being updated anyway are filled up with new endpoints, fullest first;</item>
/// <item>what is left goes into the unchanged slice it fills most exactly (when less than a slice's worth is left),
/// else into new slices of at most <c>maxEndpointsPerSlice</c>;</item>
/// <item>slices of port sets no longer wanted, of address types no longer wanted, or not owned by this service
/// (an earlier service of the same name) are deleted; a create paired with a delete becomes an update of the
/// deleted slice;</item>
/// <item>a service with no endpoints keeps one empty placeholder slice.</item>
/// </list>
/// No slice is created for a service being deleted (the garbage collector is deleting them).
/// </summary>
internal sealed class EndpointSliceReconciler(IEndpointSliceApi api, IIndexReader<V1Node> nodes, int maxEndpointsPerSlice, EndpointSliceTracker tracker)
{
    public int MaxEndpointsPerSlice { get; } = maxEndpointsPerSlice;

    /// <summary>Brings the slices of <paramref name="service"/> to <paramref name="pods"/>. Throws once everything it could do is done when anything failed.</summary>
    public async Task ReconcileAsync(V1Service service, IReadOnlyList<V1Pod> pods, IReadOnlyList<V1EndpointSlice> existing, DateTimeOffset? triggerTime, CancellationToken cancellationToken)
    {
        var errors = new List<Exception>();
        var addressTypes = EndpointSliceParts.AddressTypes(service);
        var unwanted = new List<V1EndpointSlice>();
        var byType = new Dictionary<string, List<V1EndpointSlice>>(StringComparer.Ordinal);
        foreach (var slice in existing)
        {
            if (!addressTypes.Contains(slice.AddressType))
            {
                unwanted.Add(slice);
                continue;
            }

            if (!byType.TryGetValue(slice.AddressType, out var list))
            {
                byType[slice.AddressType] = list = [];
            }

            list.Add(slice);
        }

        foreach (var addressType in addressTypes)
        {
            var plan = Plan(service, pods, byType.GetValueOrDefault(addressType) ?? [], addressType, errors);
            try
            {
                await ApplyAsync(service, plan, triggerTime, cancellationToken).ConfigureAwait(false);
            }
            catch (EndpointSliceWriteException e)
            {
                errors.Add(e);
            }
        }

        foreach (var slice in unwanted)
        {
            try
            {
                await DeleteAsync(slice, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                errors.Add(new EndpointSliceWriteException($"error deleting {slice.Metadata.Name} EndpointSlice for Service {Key(service)}: {Message(e)}", e));
            }
        }

        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new AggregateException($"[{string.Join(", ", errors.Select(e => e.Message))}]", errors);
        }
    }

    /// <summary>
    /// The writes for one address type (upstream's <c>reconcileByAddressType</c> and the pairing of creates with
    /// deletes in <c>finalize</c>). Pods on a node missing from the cache are skipped with an error in
    /// <paramref name="errors"/> (so that the service is synced again), unless the service publishes not-ready addresses.
    /// </summary>
    internal SlicePlan Plan(V1Service service, IReadOnlyList<V1Pod> pods, IReadOnlyList<V1EndpointSlice> existing, string addressType, List<Exception> errors)
    {
        var create = new List<V1EndpointSlice>();
        var update = new List<V1EndpointSlice>();
        var delete = new List<V1EndpointSlice>();

        var existingByPorts = new SortedDictionary<string, List<V1EndpointSlice>>(StringComparer.Ordinal);
        foreach (var slice in existing.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            if (!EndpointSliceParts.OwnedBy(slice, service))
            {
                delete.Add(slice);
                continue;
            }

            var key = EndpointSliceParts.PortMapKey(slice.Ports);
            if (!existingByPorts.TryGetValue(key, out var list))
            {
                existingByPorts[key] = list = [];
            }

            list.Add(slice);
        }

        var desired = new SortedDictionary<string, (List<Discoveryv1EndpointPort> Ports, EndpointSet Endpoints)>(StringComparer.Ordinal);
        var publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        foreach (var pod in pods)
        {
            if (!ServiceEndpoints.ShouldPodBeInEndpoints(pod, includeTerminating: true))
            {
                continue;
            }

            var ports = EndpointSliceParts.EndpointPorts(service, pod);
            var key = EndpointSliceParts.PortMapKey(ports);
            if (!desired.TryGetValue(key, out var group))
            {
                desired[key] = group = (ports, new EndpointSet());
            }

            var nodeName = pod.Spec?.NodeName ?? "";
            var node = nodes.Get(nodeName);
            if (node is null && !publishNotReady)
            {
                // As upstream: left out for now (the pod garbage collector should remove it), and the service retried.
                errors.Add(new NodeNotFoundException($"skipping Pod {pod.Metadata.Name} for Service {Key(service)}: Node {nodeName} Not Found"));
                continue;
            }

            var endpoint = EndpointSliceParts.PodToEndpoint(pod, node, service, addressType);
            if (endpoint.Addresses.Count > 0)
            {
                group.Endpoints.Insert(endpoint);
            }
        }

        foreach (var (key, (ports, endpoints)) in desired)
        {
            var (c, u, d) = PlanPortMapping(service, existingByPorts.GetValueOrDefault(key) ?? [], endpoints, ports, addressType);
            create.AddRange(c);
            update.AddRange(u);
            delete.AddRange(d);
        }

        foreach (var (key, slices) in existingByPorts)
        {
            if (!desired.ContainsKey(key))
            {
                delete.AddRange(slices);
            }
        }

        // A service without endpoints keeps one empty slice, so that consumers can tell "no endpoints" from "not synced yet".
        if (existing.Count == delete.Count && create.Count == 0)
        {
            var placeholder = EndpointSliceParts.NewSlice(service, [], addressType);
            if (delete.Count == 1 && IsSamePlaceholder(delete[0], placeholder))
            {
                delete.Clear();
            }
            else
            {
                create.Add(placeholder);
            }
        }

        // A slice about to be deleted is reused for a slice about to be created: one update instead of two writes.
        // Only slices of this service and this address type (a slice of an earlier service of the same name is
        // the garbage collector's).
        for (var i = 0; i < delete.Count && create.Count > 0;)
        {
            var slice = create[^1];
            if (delete[i].AddressType == slice.AddressType && EndpointSliceParts.OwnedBy(delete[i], service))
            {
                slice.Metadata.Name = delete[i].Metadata.Name;
                create.RemoveAt(create.Count - 1);
                update.Add(slice);
                delete.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }

        return new SlicePlan(create, update, delete);
    }

    /// <summary>Upstream's <c>reconcileByPortMapping</c> for the slices and desired endpoints of one port set.</summary>
    private (List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete) PlanPortMapping(
        V1Service service, List<V1EndpointSlice> existing, EndpointSet desired, List<Discoveryv1EndpointPort> ports, string addressType)
    {
        var byName = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
        var unchanged = new SortedSet<string>(StringComparer.Ordinal);
        var toUpdate = new SortedSet<string>(StringComparer.Ordinal);
        var toDelete = new SortedSet<string>(StringComparer.Ordinal);

        // 1. Keep the endpoints still desired in the slice they are in, updated where they changed.
        foreach (var slice in existing)
        {
            var name = slice.Metadata.Name;
            byName[name] = slice;
            var kept = new List<V1Endpoint>();
            var changed = false;
            var endpoints = slice.Endpoints ?? [];
            foreach (var endpoint in endpoints)
            {
                if (desired.Get(endpoint) is { } wanted)
                {
                    kept.Add(wanted);
                    changed |= !EndpointSliceParts.SameBeyondKey(wanted, endpoint);
                    desired.Delete(endpoint);
                }
            }

            var (labels, labelsChanged) = EndpointSliceLabels.For(slice.Metadata.Labels, service);
            if (changed || kept.Count != endpoints.Count)
            {
                if (kept.Count == 0)
                {
                    toDelete.Add(name);
                }
                else
                {
                    var copy = Objects.DeepCopy(slice);
                    copy.Endpoints = kept;
                    copy.Metadata.Labels = labels;
                    byName[name] = copy;
                    toUpdate.Add(name);
                }
            }
            else if (labelsChanged)
            {
                var copy = Objects.DeepCopy(slice);
                copy.Metadata.Labels = labels;
                byName[name] = copy;
                toUpdate.Add(name);
            }
            else
            {
                unchanged.Add(name);
            }
        }

        // 2. Fill the slices that are written anyway, fullest first.
        if (desired.Count > 0 && toUpdate.Count > 0)
        {
            foreach (var slice in toUpdate.Select(n => byName[n]).OrderByDescending(s => s.Endpoints.Count).ToList())
            {
                while (desired.Count > 0 && slice.Endpoints.Count < MaxEndpointsPerSlice)
                {
                    slice.Endpoints.Add(desired.PopFirst());
                }
            }
        }

        // 3. The rest: into the unchanged slice it fills most exactly, else into new slices.
        var create = new List<V1EndpointSlice>();
        while (desired.Count > 0)
        {
            V1EndpointSlice? fill = null;
            if (desired.Count < MaxEndpointsPerSlice && unchanged.Count > 0)
            {
                fill = SliceToFill(unchanged.Select(n => byName[n]), desired.Count);
            }

            if (fill is null)
            {
                fill = EndpointSliceParts.NewSlice(service, ports, addressType);
            }
            else
            {
                fill = Objects.DeepCopy(fill);
                fill.Endpoints ??= [];
                byName[fill.Metadata.Name] = fill;
            }

            while (desired.Count > 0 && fill.Endpoints.Count < MaxEndpointsPerSlice)
            {
                fill.Endpoints.Add(desired.PopFirst());
            }

            if (!string.IsNullOrEmpty(fill.Metadata.Name))
            {
                toUpdate.Add(fill.Metadata.Name);
                unchanged.Remove(fill.Metadata.Name);
            }
            else
            {
                create.Add(fill);
            }
        }

        return (create, [.. toUpdate.Select(n => byName[n])], [.. toDelete.Select(n => byName[n])]);
    }

    /// <summary>Upstream's <c>getSliceToFill</c>: the slice that <paramref name="count"/> more endpoints bring closest to full, if any fits.</summary>
    private V1EndpointSlice? SliceToFill(IEnumerable<V1EndpointSlice> slices, int count)
    {
        var closest = MaxEndpointsPerSlice;
        V1EndpointSlice? best = null;
        foreach (var slice in slices)
        {
            var left = MaxEndpointsPerSlice - (count + (slice.Endpoints?.Count ?? 0));
            if (left >= 0 && left < closest)
            {
                closest = left;
                best = slice;
                if (left == 0)
                {
                    break;
                }
            }
        }

        return best;
    }

    /// <summary>Upstream's placeholderSliceCompare: same namespace, labels and owners, and nothing in it.</summary>
    private static bool IsSamePlaceholder(V1EndpointSlice slice, V1EndpointSlice placeholder) =>
        slice.Metadata.NamespaceProperty == placeholder.Metadata.NamespaceProperty
        && slice.AddressType == placeholder.AddressType
        && Objects.SameLabels(slice.Metadata.Labels, placeholder.Metadata.Labels)
        && (slice.Metadata.OwnerReferences ?? []).Count == placeholder.Metadata.OwnerReferences.Count
        && (slice.Metadata.OwnerReferences ?? []).Zip(placeholder.Metadata.OwnerReferences).All(p => Objects.SameOwnerReference(p.First, p.Second))
        && (slice.Endpoints?.Count ?? 0) == 0
        && (slice.Ports?.Count ?? 0) == 0;

    /// <summary>Upstream's <c>finalize</c>: creates (not for a service being deleted), updates, deletes, each recorded in the tracker.</summary>
    private async Task ApplyAsync(V1Service service, SlicePlan plan, DateTimeOffset? triggerTime, CancellationToken cancellationToken)
    {
        if (service.Metadata.DeletionTimestamp is null)
        {
            foreach (var slice in plan.Create)
            {
                Annotate(slice, triggerTime);
                V1EndpointSlice created;
                try
                {
                    created = await api.CreateAsync(slice, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.HasCause(e, ApiErrors.NamespaceTerminatingCause))
                {
                    // Creates in a namespace being deleted keep failing: nothing more to do.
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw new EndpointSliceWriteException($"failed to create EndpointSlice for Service {Key(service)}: {Message(e)}", e);
                }

                tracker.Update(created);
            }
        }

        foreach (var slice in plan.Update)
        {
            Annotate(slice, triggerTime);
            try
            {
                tracker.Update(await api.UpdateAsync(slice, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new EndpointSliceWriteException($"failed to update {slice.Metadata.Name} EndpointSlice for Service {Key(service)}: {Message(e)}", e);
            }
        }

        foreach (var slice in plan.Delete)
        {
            try
            {
                await DeleteAsync(slice, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new EndpointSliceWriteException($"failed to delete {slice.Metadata.Name} EndpointSlice for Service {Key(service)}: {Message(e)}", e);
            }
        }
    }

    /// <summary>Deletes a slice, tolerating one already gone.</summary>
    private async Task DeleteAsync(V1EndpointSlice slice, CancellationToken cancellationToken)
    {
        try
        {
            await api.DeleteAsync(slice.Metadata.NamespaceProperty, slice.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return;
        }

        tracker.ExpectDeletion(slice);
    }

    /// <summary>Upstream's <c>addTriggerTimeAnnotation</c>: set to the trigger time, or removed when there is none.</summary>
    private static void Annotate(V1EndpointSlice slice, DateTimeOffset? triggerTime)
    {
        slice.Metadata.Annotations ??= new Dictionary<string, string>();
        if (triggerTime is { } time)
        {
            slice.Metadata.Annotations[ServiceEndpoints.LastChangeTriggerTimeAnnotation] = ServiceEndpoints.Rfc3339Nano(time);
        }
        else
        {
            slice.Metadata.Annotations.Remove(ServiceEndpoints.LastChangeTriggerTimeAnnotation);
        }
    }

    private static string Key(V1Service service) => service.Metadata.NamespaceProperty + "/" + service.Metadata.Name;

    private static string Message(Exception e) => ApiErrors.StatusOf(e)?.Message is { Length: > 0 } m ? m : e.Message;
}

/// <summary>A selected pod names a node the cache does not have: the pod is left out and the service retried.</summary>
public sealed class NodeNotFoundException(string message) : Exception(message);
