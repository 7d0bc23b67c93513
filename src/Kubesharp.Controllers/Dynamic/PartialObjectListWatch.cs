using System.Runtime.CompilerServices;
using k8s;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// List and watch of any discovered resource as <see cref="PartialObject"/>s (upstream's metadata informers),
/// every object stamped with the resource's apiVersion and kind (list items travel without them).
/// </summary>
public static class PartialObjectListWatch
{
    /// <summary>Every object of <paramref name="resource"/>, in all namespaces.</summary>
    public static ListWatch<PartialObject> For(Kubernetes client, ApiResource resource) =>
        Stamped(KubernetesListWatch.ForPath<PartialObject>(client, resource.CollectionPath(null)), resource);

    /// <summary>Wraps <paramref name="inner"/> so that every object it yields carries <paramref name="resource"/>'s apiVersion and kind.</summary>
    public static ListWatch<PartialObject> Stamped(ListWatch<PartialObject> inner, ApiResource resource) =>
        new(
            async ct =>
            {
                var list = await inner.ListAsync(ct).ConfigureAwait(false);
                foreach (var item in list.Items)
                {
                    KubernetesDynamicApi.Stamp(item, resource);
                }

                return list;
            },
            (request, ct) => StampEventsAsync(inner.WatchAsync(request, ct), resource, ct));

    private static async IAsyncEnumerable<WatchEvent<PartialObject>> StampEventsAsync(IAsyncEnumerable<WatchEvent<PartialObject>> events, ApiResource resource, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (e.Item is { } item)
            {
                KubernetesDynamicApi.Stamp(item, resource);
            }

            yield return e;
        }
    }
}
