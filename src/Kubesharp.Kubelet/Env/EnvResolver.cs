using k8s;
using k8s.Models;
using Kubesharp.Api.Validation;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Cri.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Env;

/// <summary>
/// Builds a container's environment as upstream's kubelet does (<c>makeEnvironmentVariables</c> in
/// <c>pkg/kubelet/kubelet_pods.go</c>):
/// <list type="number">
/// <item><c>envFrom</c> in order: every key of the ConfigMap or Secret, with the prefix; keys that are not valid
/// environment variable names are skipped and reported as a Warning event <c>InvalidEnvironmentVariableNames</c>;
/// a missing object is skipped when <c>optional</c>.</item>
/// <item><c>env</c> in order, each overriding what came before: a <c>value</c> is expanded (<c>$(VAR)</c> against the
/// variables defined so far, <c>$$</c> for a literal <c>$</c>); otherwise <c>valueFrom</c> is resolved (fieldRef,
/// resourceFieldRef with limits defaulted to the node's allocatable, configMapKeyRef, secretKeyRef; an optional missing
/// object or key leaves the variable out).</item>
/// </list>
/// Upstream hands the runtime a Go map's random order; here a variable keeps the position where it was first defined.
/// Service environment variables (<c>enableServiceLinks</c>) are not added yet.
/// </summary>
/// <remarks>
/// Objects are read with one GET each per call (deduplicated within the call), not from a watch as upstream's default
/// change-detection strategy does. Thread-safe. Every failure is an <see cref="EnvResolutionException"/> with upstream's
/// message; the worker shows it as <c>CreateContainerConfigError</c> and retries on its next sync.
/// </remarks>
public sealed class EnvResolver
{
    /// <summary>The Warning event reason for envFrom keys that were skipped.</summary>
    public const string InvalidNamesReason = "InvalidEnvironmentVariableNames";

    private readonly ApiObjectReader _reader;
    private readonly IEventRecorder? _events;
    private readonly ILogger _logger;

    public EnvResolver(IKubernetes client, TimeProvider time)
        : this(client, time, events: null, logger: null)
    {
    }

    /// <param name="events">Where the InvalidEnvironmentVariableNames warnings go (logged only when null).</param>
    public EnvResolver(IKubernetes client, TimeProvider time, IEventRecorder? events, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(time); // kept in the contract for a TTL cache of referenced objects
        _reader = new ApiObjectReader(client);
        _events = events;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The environment with the pod's one IP and the node's one IP (either may be null when unknown).</summary>
    public Task<IReadOnlyList<KeyValue>> ResolveAsync(V1Pod pod, V1Container container, string? podIp, string? hostIp,
        IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable, CancellationToken cancellationToken) =>
        ResolveAsync(pod, container, podIp is { Length: > 0 } ? [podIp] : [], hostIp is { Length: > 0 } ? [hostIp] : [], nodeAllocatable, cancellationToken);

    /// <summary>The environment with all the pod's IPs (the first is <c>status.podIP</c>) and all the node's IPs.</summary>
    public async Task<IReadOnlyList<KeyValue>> ResolveAsync(V1Pod pod, V1Container container, IReadOnlyList<string> podIps, IReadOnlyList<string> hostIps,
        IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata?.NamespaceProperty ?? "";
        var configMaps = new Dictionary<string, V1ConfigMap?>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, V1Secret?>(StringComparer.Ordinal);
        var env = new OrderedEnv();

        foreach (var envFrom in container.EnvFrom ?? [])
        {
            if (envFrom.ConfigMapRef is { } cmRef)
            {
                var cm = await ConfigMapAsync(configMaps, ns, cmRef.Name, cancellationToken).ConfigureAwait(false);
                if (cm is null)
                {
                    if (cmRef.Optional == true)
                    {
                        continue;
                    }

                    throw new EnvResolutionException(ApiObjectReader.ConfigMapNotFound(cmRef.Name));
                }

                AddAll(pod, env, envFrom.Prefix, cm.Data?.Select(kv => (kv.Key, kv.Value)), "configMap", ns, cmRef.Name);
            }
            else if (envFrom.SecretRef is { } sRef)
            {
                var secret = await SecretAsync(secrets, ns, sRef.Name, cancellationToken).ConfigureAwait(false);
                if (secret is null)
                {
                    if (sRef.Optional == true)
                    {
                        continue;
                    }

                    throw new EnvResolutionException(ApiObjectReader.SecretNotFound(sRef.Name));
                }

                AddAll(pod, env, envFrom.Prefix, secret.Data?.Select(kv => (kv.Key, System.Text.Encoding.UTF8.GetString(kv.Value))), "secret", ns, sRef.Name);
            }
        }

        var mapping = Expansion.MappingFor(env.Values);
        foreach (var envVar in container.Env ?? [])
        {
            var value = envVar.Value ?? "";
            if (value.Length > 0)
            {
                value = Expansion.Expand(value, mapping);
            }
            else if (envVar.ValueFrom is { } from)
            {
                string? resolved;
                try
                {
                    resolved = await ValueFromAsync(pod, container, from, podIps, hostIps, nodeAllocatable, configMaps, secrets, ns, cancellationToken).ConfigureAwait(false);
                }
                catch (DownwardApiException e)
                {
                    throw new EnvResolutionException(e.Message, e);
                }

                if (resolved is null)
                {
                    continue; // optional and missing: the variable is left out
                }

                value = resolved;
            }

            env.Set(envVar.Name, value);
        }

        return env.ToKeyValues();
    }

    private async Task<string?> ValueFromAsync(V1Pod pod, V1Container container, V1EnvVarSource from, IReadOnlyList<string> podIps, IReadOnlyList<string> hostIps,
        IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable, Dictionary<string, V1ConfigMap?> configMaps, Dictionary<string, V1Secret?> secrets,
        string ns, CancellationToken cancellationToken)
    {
        if (from.FieldRef is { } fieldRef)
        {
            return PodFields.EnvFieldValue(pod, fieldRef, podIps, hostIps);
        }

        if (from.ResourceFieldRef is { } resourceRef)
        {
            return PodFields.ResourceValue(pod, resourceRef, container, nodeAllocatable);
        }

        if (from.ConfigMapKeyRef is { } cmKey)
        {
            var optional = cmKey.Optional == true;
            var cm = await ConfigMapAsync(configMaps, ns, cmKey.Name, cancellationToken).ConfigureAwait(false);
            if (cm is null)
            {
                return optional ? null : throw new EnvResolutionException(ApiObjectReader.ConfigMapNotFound(cmKey.Name));
            }

            if (cm.Data is not null && cm.Data.TryGetValue(cmKey.Key, out var v))
            {
                return v;
            }

            return optional ? null : throw new EnvResolutionException($"couldn't find key {cmKey.Key} in ConfigMap {ns}/{cmKey.Name}");
        }

        if (from.SecretKeyRef is { } sKey)
        {
            var optional = sKey.Optional == true;
            var secret = await SecretAsync(secrets, ns, sKey.Name, cancellationToken).ConfigureAwait(false);
            if (secret is null)
            {
                return optional ? null : throw new EnvResolutionException(ApiObjectReader.SecretNotFound(sKey.Name));
            }

            if (secret.Data is not null && secret.Data.TryGetValue(sKey.Key, out var bytes))
            {
                return System.Text.Encoding.UTF8.GetString(bytes);
            }

            return optional ? null : throw new EnvResolutionException($"couldn't find key {sKey.Key} in Secret {ns}/{sKey.Name}");
        }

        return "";
    }

    private void AddAll(V1Pod pod, OrderedEnv env, string? prefix, IEnumerable<(string Key, string Value)>? data, string kind, string ns, string name)
    {
        var invalid = new List<string>();
        // Sorted so that the order of envFrom variables does not depend on the server's map order.
        foreach (var (key, value) in (data ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var k = string.IsNullOrEmpty(prefix) ? key : prefix + key;
            if (Formats.EnvVarName(k).Count > 0)
            {
                invalid.Add(k);
                continue;
            }

            env.Set(k, value);
        }

        if (invalid.Count > 0)
        {
            invalid.Sort(StringComparer.Ordinal);
            var message = $"Keys [{string.Join(", ", invalid)}] from the EnvFrom {kind} {ns}/{name} were skipped since they are considered invalid environment variable names.";
            _logger.LogWarning("{Reason} pod {Namespace}/{Pod}: {Message}", InvalidNamesReason, ns, pod.Metadata?.Name, message);
            _events?.Event(pod, "Warning", InvalidNamesReason, message);
        }
    }

    private async Task<V1ConfigMap?> ConfigMapAsync(Dictionary<string, V1ConfigMap?> cache, string ns, string name, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out var cm))
        {
            try
            {
                cm = await _reader.ConfigMapAsync(ns, name, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiReadException e)
            {
                throw new EnvResolutionException(e.Message, e);
            }

            cache[name] = cm;
        }

        return cm;
    }

    private async Task<V1Secret?> SecretAsync(Dictionary<string, V1Secret?> cache, string ns, string name, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(name, out var secret))
        {
            try
            {
                secret = await _reader.SecretAsync(ns, name, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiReadException e)
            {
                throw new EnvResolutionException(e.Message, e);
            }

            cache[name] = secret;
        }

        return secret;
    }

    /// <summary>Variables by name, remembering where each was first defined.</summary>
    private sealed class OrderedEnv
    {
        private readonly List<string> _order = [];
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, string> Values => _values;

        public void Set(string name, string value)
        {
            if (!_values.ContainsKey(name))
            {
                _order.Add(name);
            }

            _values[name] = value;
        }

        public IReadOnlyList<KeyValue> ToKeyValues() => [.. _order.Select(n => new KeyValue { Key = n, Value = _values[n] })];
    }
}
