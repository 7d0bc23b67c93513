using k8s;
using k8s.Models;
using Kubesharp.Controllers.Tokens;

namespace Kubesharp.Controllers.Tests.Tokens;

/// <summary>
/// An in-memory <see cref="ITokensApi"/>: the live state of secrets and service accounts (each read a fresh copy, each
/// write a new resourceVersion, a delete honouring its uid precondition) and a record of every write.
/// </summary>
internal sealed class FakeTokensApi : ITokensApi
{
    private readonly Dictionary<string, V1Secret> _secrets = [];
    private readonly Dictionary<string, V1ServiceAccount> _accounts = [];
    private int _revision = 100;

    public List<V1Secret> SecretUpdates { get; } = [];

    public List<(string Namespace, string Name, string? Uid)> SecretDeletes { get; } = [];

    public List<V1ServiceAccount> AccountUpdates { get; } = [];

    public int AccountReads { get; private set; }

    /// <summary>When set, the next service account update answers 409.</summary>
    public bool ConflictOnNextAccountUpdate { get; set; }

    public V1Secret Put(V1Secret secret)
    {
        secret.Metadata.ResourceVersion ??= (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _secrets[Key(secret.Metadata)] = Copy(secret);
        return secret;
    }

    public V1ServiceAccount Put(V1ServiceAccount account)
    {
        account.Metadata.ResourceVersion ??= (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _accounts[Key(account.Metadata)] = Copy(account);
        return account;
    }

    public V1Secret? Secret(string ns, string name) => _secrets.GetValueOrDefault(ns + "/" + name);

    public Task<V1ServiceAccount?> GetServiceAccountAsync(string ns, string name, CancellationToken cancellationToken)
    {
        AccountReads++;
        return Task.FromResult(_accounts.TryGetValue(ns + "/" + name, out var a) ? Copy(a) : null);
    }

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_secrets.TryGetValue(ns + "/" + name, out var s) ? Copy(s) : null);

    public Task<WriteOutcome> UpdateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        SecretUpdates.Add(Copy(secret));
        if (!_secrets.TryGetValue(Key(secret.Metadata), out var current))
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        if (current.Metadata.ResourceVersion != secret.Metadata.ResourceVersion)
        {
            return Task.FromResult(WriteOutcome.Conflict);
        }

        var stored = Copy(secret);
        stored.Metadata.ResourceVersion = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _secrets[Key(secret.Metadata)] = stored;
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> DeleteSecretAsync(string ns, string name, string? uid, CancellationToken cancellationToken)
    {
        SecretDeletes.Add((ns, name, uid));
        if (!_secrets.TryGetValue(ns + "/" + name, out var current))
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        if (uid is not null && current.Metadata.Uid != uid)
        {
            return Task.FromResult(WriteOutcome.Conflict);
        }

        _secrets.Remove(ns + "/" + name);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> UpdateServiceAccountAsync(V1ServiceAccount account, CancellationToken cancellationToken)
    {
        AccountUpdates.Add(Copy(account));
        if (ConflictOnNextAccountUpdate)
        {
            ConflictOnNextAccountUpdate = false;
            return Task.FromResult(WriteOutcome.Conflict);
        }

        if (!_accounts.ContainsKey(Key(account.Metadata)))
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        _accounts[Key(account.Metadata)] = Copy(account);
        return Task.FromResult(WriteOutcome.Done);
    }

    private static string Key(V1ObjectMeta meta) => meta.NamespaceProperty + "/" + meta.Name;

    private static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
