using System.Collections.Concurrent;
using k8s.Models;
using Kubesharp.ApiServer.Auth.Authentication;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

/// <summary>An in-memory <see cref="IAuthObjectReader"/>: objects are put and removed directly; absent objects read as null.</summary>
internal sealed class FakeAuthObjectReader : IAuthObjectReader
{
    private readonly ConcurrentDictionary<(string Kind, string Namespace, string Name), object> _objects = new();

    public FakeAuthObjectReader Put(V1Secret secret) => Put("Secret", secret.Metadata, secret);

    public FakeAuthObjectReader Put(V1ServiceAccount account) => Put("ServiceAccount", account.Metadata, account);

    public FakeAuthObjectReader Put(V1Pod pod) => Put("Pod", pod.Metadata, pod);

    public FakeAuthObjectReader Put(V1Node node) => Put("Node", node.Metadata, node);

    public void Remove(string kind, string @namespace, string name) => Assert.True(_objects.TryRemove((kind, @namespace, name), out _), $"no {kind} {@namespace}/{name} to remove");

    public ValueTask<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken) => Get<V1Secret>("Secret", @namespace, name);

    public ValueTask<V1ServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken) => Get<V1ServiceAccount>("ServiceAccount", @namespace, name);

    public ValueTask<V1Pod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken) => Get<V1Pod>("Pod", @namespace, name);

    public ValueTask<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken) => Get<V1Node>("Node", "", name);

    private FakeAuthObjectReader Put(string kind, V1ObjectMeta metadata, object obj)
    {
        _objects[(kind, metadata.NamespaceProperty ?? "", metadata.Name)] = obj;
        return this;
    }

    private ValueTask<T?> Get<T>(string kind, string @namespace, string name)
        where T : class
    {
        return ValueTask.FromResult(_objects.TryGetValue((kind, @namespace, name), out var obj) ? (T)obj : null);
    }
}
