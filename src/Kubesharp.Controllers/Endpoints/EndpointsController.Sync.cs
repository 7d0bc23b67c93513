using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;
using ApiErrors = Kubesharp.Controllers.Dynamic.ApiErrors;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>One sync of a service's Endpoints (upstream's <c>syncService</c>).</summary>
public sealed partial class EndpointsController
{
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKeys.Split(key);
        ns ??= "";
        var service = _services.Get(key);
        if (service is null)
        {
            // The service is gone: so are its Endpoints. (Missed while no controller ran, they go at the next start.)
            try
            {
                await _api.DeleteAsync(ns, name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
            }

            _triggerTimes.DeleteService(ns, name);
            _stale.Delete(key);
            return ReconcileResult.Done;
        }

        if (!ServiceEndpoints.IsSelectorBased(service))
        {
            return ReconcileResult.Done;
        }

        var pods = ServiceEndpoints.SelectedPods(_pods, service);
        // Computed on every sync, written or not, so that the tracker's state follows the pods.
        var triggerTime = _triggerTimes.Compute(ns, service, pods);
        var (subsets, ready, notReady) = DesiredSubsets(service, pods);

        var current = _endpoints.Get(key);
        if (current is not null && _stale.IsStale(current))
        {
            throw new StaleCacheException($"endpoints informer cache is out of date, resource version {current.Metadata.ResourceVersion} already processed for endpoints {key}");
        }

        var create = string.IsNullOrEmpty(current?.Metadata.ResourceVersion);
        if (!create
            && EndpointSubsets.Same(current!.Subsets, subsets)
            && Objects.SameLabels(WithoutHeadless(current.Metadata.Labels), service.Metadata.Labels)
            && CapacityAnnotationCorrect(current))
        {
            Log.Unchanged(Logger, ns, name);
            return ReconcileResult.Done;
        }

        var desired = Build(service, current, subsets, triggerTime);
        Log.Writing(Logger, ns, name, ready, notReady);
        try
        {
            if (create)
            {
                await _api.CreateAsync(desired, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var updated = await _api.UpdateAsync(desired, cancellationToken).ConfigureAwait(false);
                if (updated.Metadata.ResourceVersion != current!.Metadata.ResourceVersion)
                {
                    _stale.MarkStale(current);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (create && ApiErrors.HasCause(e, ApiErrors.NamespaceTerminatingCause))
            {
                // Creates in a namespace being deleted keep failing: drop the service.
                return ReconcileResult.Done;
            }

            var message = ApiErrors.StatusOf(e)?.Message is { Length: > 0 } m ? m : e.Message;
            if (create)
            {
                _recorder.Event(Reference(desired), EventTypes.Warning, FailedToCreateEndpoint, $"Failed to create endpoint for service {ns}/{name}: {message}");
            }
            else
            {
                _recorder.Event(Reference(desired), EventTypes.Warning, FailedToUpdateEndpoint, $"Failed to update endpoint {ns}/{name}: {message}");
            }

            throw;
        }

        return ReconcileResult.Done;
    }

    /// <summary>The repacked subsets for the selected pods, and how many ready and not-ready addresses went in.</summary>
    internal static (List<V1EndpointSubset> Subsets, int Ready, int NotReady) DesiredSubsets(V1Service service, IReadOnlyList<V1Pod> pods)
    {
        var publishNotReady = service.Spec.PublishNotReadyAddresses == true;
        var subsets = new List<V1EndpointSubset>();
        int ready = 0, notReady = 0;
        foreach (var pod in pods)
        {
            if (!ServiceEndpoints.ShouldPodBeInEndpoints(pod, publishNotReady) || AddressFor(service, pod) is not { } address)
            {
                continue;
            }

            var isReady = publishNotReady || Pods.IsReady(pod);
            if (service.Spec.Ports is not { Count: > 0 } ports)
            {
                // A headless service may have no ports; its addresses are listed without any.
                if (ServiceEndpoints.IsHeadlessWithoutIp(service))
                {
                    subsets.Add(Subset(address, null, isReady));
                    Count(isReady);
                }

                continue;
            }

            foreach (var servicePort in ports)
            {
                if (ServiceEndpoints.FindPort(pod, servicePort) is not { } port)
                {
                    continue;
                }

                var endpointPort = new Corev1EndpointPort
                {
                    Name = string.IsNullOrEmpty(servicePort.Name) ? null : servicePort.Name,
                    Port = port,
                    Protocol = servicePort.Protocol,
                    AppProtocol = servicePort.AppProtocol,
                };
                subsets.Add(Subset(address, endpointPort, isReady));
                Count(isReady);
            }
        }

        return (EndpointSubsets.Repack(subsets), ready, notReady);

        void Count(bool isReady)
        {
            if (isReady)
            {
                ready++;
            }
            else
            {
                notReady++;
            }
        }
    }

    private static V1EndpointSubset Subset(V1EndpointAddress address, Corev1EndpointPort? port, bool ready) => new()
    {
        Addresses = ready ? [address] : null,
        NotReadyAddresses = ready ? null : [address],
        Ports = port is null ? null : [port],
    };

    /// <summary>
    /// Upstream's <c>podToEndpointAddressForService</c>: the pod IP of the service's first IP family (without
    /// ipFamilies: the family of its cluster IP, or for a headless service that of the pod's IP); null when the
    /// pod has none of that family.
    /// </summary>
    internal static V1EndpointAddress? AddressFor(V1Service service, V1Pod pod)
    {
        bool wantV6;
        if (service.Spec.IpFamilies is { Count: > 0 } families)
        {
            wantV6 = families[0] == ServiceEndpoints.IPv6;
        }
        else if (ServiceEndpoints.IsServiceIpSet(service))
        {
            wantV6 = ServiceEndpoints.IsIPv6(service.Spec.ClusterIP);
        }
        else
        {
            wantV6 = ServiceEndpoints.IsIPv6(ServiceEndpoints.PodIps(pod).FirstOrDefault());
        }

        var ip = ServiceEndpoints.PodIps(pod).FirstOrDefault(i => ServiceEndpoints.IsIPv6(i) == wantV6);
        if (ip is null)
        {
            return null;
        }

        return new V1EndpointAddress
        {
            Ip = ip,
            // Upstream points at spec.nodeName even when empty; an empty nodeName would not pass validation, so none is written.
            NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
            Hostname = ServiceEndpoints.ShouldSetHostname(pod, service) ? pod.Spec!.Hostname : null,
            TargetRef = new V1ObjectReference
            {
                Kind = "Pod",
                NamespaceProperty = pod.Metadata.NamespaceProperty,
                Name = pod.Metadata.Name,
                Uid = pod.Metadata.Uid,
            },
        };
    }

    /// <summary>The Endpoints to write: a copy of the current one (or a new one) with the subsets, labels and annotations.</summary>
    private static V1Endpoints Build(V1Service service, V1Endpoints? current, List<V1EndpointSubset> subsets, DateTimeOffset? triggerTime)
    {
        var result = current is null
            ? new V1Endpoints { Metadata = new V1ObjectMeta { Name = service.Metadata.Name, NamespaceProperty = service.Metadata.NamespaceProperty } }
            : Objects.DeepCopy(current);
        result.ApiVersion = "v1";
        result.Kind = "Endpoints";
        result.Subsets = subsets;
        var annotations = result.Metadata.Annotations ?? new Dictionary<string, string>();
        if (triggerTime is { } time)
        {
            annotations[ServiceEndpoints.LastChangeTriggerTimeAnnotation] = ServiceEndpoints.Rfc3339Nano(time);
        }
        else
        {
            annotations.Remove(ServiceEndpoints.LastChangeTriggerTimeAnnotation);
        }

        if (EndpointSubsets.Truncate(subsets))
        {
            annotations[EndpointSubsets.OverCapacityAnnotation] = EndpointSubsets.Truncated;
        }
        else
        {
            annotations.Remove(EndpointSubsets.OverCapacityAnnotation);
        }

        result.Metadata.Annotations = annotations;
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>());
        if (ServiceEndpoints.IsServiceIpSet(service))
        {
            labels.Remove(ServiceEndpoints.HeadlessLabel);
        }
        else
        {
            labels[ServiceEndpoints.HeadlessLabel] = "";
        }

        result.Metadata.Labels = labels;
        return result;
    }

    /// <summary>The labels but the headless one, which the controller adds itself and the service does not carry.</summary>
    private static IDictionary<string, string>? WithoutHeadless(IDictionary<string, string>? labels)
    {
        if (labels is null || !labels.ContainsKey(ServiceEndpoints.HeadlessLabel))
        {
            return labels;
        }

        var copy = new Dictionary<string, string>(labels);
        copy.Remove(ServiceEndpoints.HeadlessLabel);
        return copy;
    }

    /// <summary>Upstream's <c>capacityAnnotationSetCorrectly</c>: not over capacity, and not annotated as if it were.</summary>
    private static bool CapacityAnnotationCorrect(V1Endpoints endpoints) =>
        EndpointSubsets.Count(endpoints.Subsets) <= EndpointSubsets.MaxCapacity
        && endpoints.Metadata.Annotations?.ContainsKey(EndpointSubsets.OverCapacityAnnotation) != true;

    private static V1ObjectReference Reference(V1Endpoints endpoints) => new()
    {
        ApiVersion = "v1",
        Kind = "Endpoints",
        NamespaceProperty = endpoints.Metadata.NamespaceProperty,
        Name = endpoints.Metadata.Name,
        Uid = endpoints.Metadata.Uid,
        ResourceVersion = endpoints.Metadata.ResourceVersion,
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Endpoints {Namespace}/{Name} are up to date")]
        public static partial void Unchanged(ILogger logger, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Writing Endpoints {Namespace}/{Name}: {Ready} ready, {NotReady} not ready")]
        public static partial void Writing(ILogger logger, string @namespace, string name, int ready, int notReady);
    }
}

/// <summary>The cache has not yet caught up with a write this controller made: the sync is retried later (upstream's StaleInformerCache error).</summary>
public sealed class StaleCacheException(string message) : Exception(message);
