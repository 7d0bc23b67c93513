using System.Collections.Concurrent;
using System.Text;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Tokens;

/// <summary>
/// Upstream's <c>serviceaccount-token-controller</c> (<c>pkg/controller/serviceaccount/tokens_controller.go</c>): keeps
/// legacy service account token secrets (type <c>kubernetes.io/service-account-token</c>) consistent with their accounts.
/// <list type="bullet">
/// <item>A token secret whose <c>kubernetes.io/service-account.name</c> names an existing account (and whose
/// <c>kubernetes.io/service-account.uid</c>, when set, is that account's) gets what it lacks of <c>data.token</c> (a legacy
/// token), <c>data["ca.crt"]</c> (the root CA, replaced when it differs) and <c>data.namespace</c>, and both annotations.</item>
/// <item>A token secret whose account does not exist, or is another account with the same name, is deleted (with the
/// secret's uid as a precondition). Before deleting, a miss in the cache is checked with a live read, as upstream,
/// so that a secret created right after its account is not deleted for a stale cache.</item>
/// <item>When an account goes, its token secrets go: the account's key re-examines every token secret naming it.</item>
/// <item>When a token secret goes, the account's <c>secrets</c> list loses its reference to it.</item>
/// </list>
/// Level-based on two kinds of keys in one queue: <c>serviceaccount:NS/NAME</c> and <c>secret:NS/NAME</c>.
/// Only the secret's own key writes the secret, so that one secret is never written by two workers at once.
/// </summary>
internal sealed partial class TokensController : QueueController
{
    public const string ServiceAccountNameAnnotation = "kubernetes.io/service-account.name";
    public const string ServiceAccountUidAnnotation = "kubernetes.io/service-account.uid";
    public const string TokenSecretType = "kubernetes.io/service-account-token";
    public const string TokenKey = "token";
    public const string RootCaKey = "ca.crt";
    public const string NamespaceKey = "namespace";

    private const string AccountKeyPrefix = "serviceaccount:";
    private const string SecretKeyPrefix = "secret:";

    private readonly Lister<V1ServiceAccount> _accounts;
    private readonly Lister<V1Secret> _secrets;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly ITokensApi _api;
    private readonly ServiceAccountSigning _signing;

    // The account a deleted token secret named, from its last known state, until the secret's key is reconciled:
    // the key alone no longer says which account to remove the reference from (upstream carries it in its queue item).
    // Bounded by the deleted secrets whose keys are queued.
    private readonly ConcurrentDictionary<string, (string Name, string Uid)> _deleted = new(StringComparer.Ordinal);

    internal TokensController(Lister<V1ServiceAccount> accounts, Lister<V1Secret> secrets, IReadOnlyList<ISharedInformer> informers, ITokensApi api, ServiceAccountSigning signing, TimeProvider time, ILogger logger)
        : base(CertificateControllers.TokensControllerName, time, logger)
    {
        _accounts = accounts;
        _secrets = secrets;
        _informers = informers;
        _api = api;
        _signing = signing;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    /// <summary>Builds the controller over the shared ServiceAccount and Secret informers and registers its handlers.</summary>
    public static TokensController Create(ControllerContext context, ServiceAccountSigning signing)
    {
        var accounts = context.Informers.GetInformer<V1ServiceAccount>();
        var secrets = context.Informers.GetInformer<V1Secret>();
        var controller = new TokensController(
            accounts.Lister,
            secrets.Lister,
            [accounts, secrets],
            new KubernetesTokensApi(context.Client),
            signing,
            context.Time,
            context.Loggers.CreateLogger(CertificateControllers.TokensControllerName));
        accounts.AddEventHandler(new ResourceEventHandlerFuncs<V1ServiceAccount>
        {
            AddFunc = controller.OnAccountChanged,
            UpdateFunc = (_, account) => controller.OnAccountChanged(account),
            DeleteFunc = (account, _) => controller.OnAccountChanged(account),
        });
        secrets.AddEventHandler(new ResourceEventHandlerFuncs<V1Secret>
        {
            AddFunc = controller.OnSecretChanged,
            UpdateFunc = (_, secret) => controller.OnSecretChanged(secret),
            DeleteFunc = (secret, _) => controller.OnSecretDeleted(secret),
        });
        return controller;
    }

    internal void OnAccountChanged(V1ServiceAccount account) => Enqueue(AccountKeyPrefix + ObjectKeys.For(account));

    internal void OnSecretChanged(V1Secret secret)
    {
        if (secret.Type == TokenSecretType)
        {
            Enqueue(SecretKeyPrefix + ObjectKeys.For(secret));
        }
    }

    internal void OnSecretDeleted(V1Secret secret)
    {
        if (secret.Type != TokenSecretType)
        {
            return;
        }

        var key = ObjectKeys.For(secret);
        if (Annotation(secret, ServiceAccountNameAnnotation) is { Length: > 0 } name)
        {
            _deleted[key] = (name, Annotation(secret, ServiceAccountUidAnnotation));
        }

        Enqueue(SecretKeyPrefix + key);
    }

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (key.StartsWith(AccountKeyPrefix, StringComparison.Ordinal))
        {
            SyncAccount(key[AccountKeyPrefix.Length..]);
        }
        else if (key.StartsWith(SecretKeyPrefix, StringComparison.Ordinal))
        {
            await SyncSecretAsync(key[SecretKeyPrefix.Length..], cancellationToken).ConfigureAwait(false);
        }

        return ReconcileResult.Done;
    }

    /// <summary>True for a token secret naming <paramref name="accountName"/>, as upstream's <c>IsServiceAccountToken</c> without the uid check.</summary>
    internal static bool NamesAccount(V1Secret secret, string accountName) =>
        secret.Type == TokenSecretType && Annotation(secret, ServiceAccountNameAnnotation) == accountName;

    // Hands every token secret naming the account to the secret's own key, which decides (fill, keep or delete).
    private void SyncAccount(string key)
    {
        var (ns, name) = ObjectKeys.Split(key);
        foreach (var secret in _secrets.List(ns ?? ""))
        {
            if (NamesAccount(secret, name))
            {
                Enqueue(SecretKeyPrefix + ObjectKeys.For(secret));
            }
        }
    }

    private async Task SyncSecretAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKeys.Split(key);
        var secret = _secrets.Get(key);
        if (secret is null || secret.Type != TokenSecretType)
        {
            if (_deleted.TryRemove(key, out var account))
            {
                await RemoveReferenceAsync(ns ?? "", account.Name, account.Uid, name, key, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        _deleted.TryRemove(key, out _);
        var accountName = Annotation(secret, ServiceAccountNameAnnotation);
        if (accountName.Length == 0)
        {
            // Validation requires the annotation on this type; nothing names an account to check against.
            return;
        }

        var serviceAccount = await GetAccountAsync(ns ?? "", accountName, Annotation(secret, ServiceAccountUidAnnotation), cancellationToken).ConfigureAwait(false);
        if (serviceAccount is null)
        {
            Log.DeletingToken(Logger, ns ?? "", name, accountName);
            // NotFound: already gone. Conflict: the uid precondition failed, the name holds a newer secret with its own key.
            await _api.DeleteSecretAsync(ns ?? "", name, secret.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            return;
        }

        await FillAsync(serviceAccount, secret, cancellationToken).ConfigureAwait(false);
    }

    // Upstream's getServiceAccount with fetchOnCacheMiss: the cache first, then a live read when it misses or holds another uid.
    private async Task<V1ServiceAccount?> GetAccountAsync(string ns, string name, string uid, CancellationToken cancellationToken)
    {
        if (_accounts.Get(ns, name) is { } cached && (uid.Length == 0 || cached.Metadata.Uid == uid))
        {
            return cached;
        }

        var live = await _api.GetServiceAccountAsync(ns, name, cancellationToken).ConfigureAwait(false);
        return live is not null && (uid.Length == 0 || live.Metadata.Uid == uid) ? live : null;
    }

    private async Task FillAsync(V1ServiceAccount account, V1Secret cached, CancellationToken cancellationToken)
    {
        if (!NeedsUpdate(cached, _signing.RootCa.Span))
        {
            return;
        }

        // Never write the cache's shared instance: fill a fresh copy, and only if the cache is not behind it.
        var live = await _api.GetSecretAsync(cached.Metadata.NamespaceProperty, cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
        if (live is null || live.Metadata.ResourceVersion != cached.Metadata.ResourceVersion)
        {
            // Gone, or changed since the cache saw it: the informer's next event brings the key back.
            return;
        }

        var (needsCa, needsToken, needsNamespace) = Needs(live, _signing.RootCa.Span);
        if (!needsCa && !needsToken && !needsNamespace)
        {
            return;
        }

        live.Data ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
        live.Metadata.Annotations ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (needsCa)
        {
            live.Data[RootCaKey] = _signing.RootCa.ToArray();
        }

        if (needsNamespace)
        {
            live.Data[NamespaceKey] = Encoding.UTF8.GetBytes(live.Metadata.NamespaceProperty);
        }

        if (needsToken)
        {
            live.Data[TokenKey] = Encoding.UTF8.GetBytes(_signing.Issuer.IssueLegacy(account, live.Metadata.Name));
        }

        live.Metadata.Annotations[ServiceAccountNameAnnotation] = account.Metadata.Name;
        live.Metadata.Annotations[ServiceAccountUidAnnotation] = account.Metadata.Uid;
        // Conflict: someone else wrote it and the update event brings the key back. NotFound: nothing left to fill.
        if (await _api.UpdateSecretAsync(live, cancellationToken).ConfigureAwait(false) == WriteOutcome.Done)
        {
            Log.Filled(Logger, live.Metadata.NamespaceProperty, live.Metadata.Name, account.Metadata.Name);
        }
    }

    private async Task RemoveReferenceAsync(string ns, string accountName, string accountUid, string secretName, string key, CancellationToken cancellationToken)
    {
        var account = await _api.GetServiceAccountAsync(ns, accountName, cancellationToken).ConfigureAwait(false);
        if (account is null || (accountUid.Length > 0 && account.Metadata.Uid != accountUid) || account.Secrets?.Any(s => s.Name == secretName) != true)
        {
            return;
        }

        account.Secrets = [.. account.Secrets.Where(s => s.Name != secretName)];
        if (await _api.UpdateServiceAccountAsync(account, cancellationToken).ConfigureAwait(false) == WriteOutcome.Conflict)
        {
            // Keep what the key needs for its retry; the queue backs it off.
            _deleted.TryAdd(key, (accountName, accountUid));
            throw new InvalidOperationException($"conflict removing the reference to secret {ns}/{secretName} from service account {accountName}; retrying");
        }
    }

    internal static bool NeedsUpdate(V1Secret secret, ReadOnlySpan<byte> rootCa)
    {
        var (ca, token, ns) = Needs(secret, rootCa);
        return ca || token || ns;
    }

    // Upstream's secretUpdateNeeded: a CA that differs from the configured one, an empty token, an empty namespace.
    private static (bool Ca, bool Token, bool Namespace) Needs(V1Secret secret, ReadOnlySpan<byte> rootCa)
    {
        var data = secret.Data;
        var needsCa = rootCa.Length > 0 && !(data?.TryGetValue(RootCaKey, out var ca) == true && ca is not null && ca.AsSpan().SequenceEqual(rootCa));
        var needsNamespace = !(data?.TryGetValue(NamespaceKey, out var ns) == true && ns is { Length: > 0 });
        var needsToken = !(data?.TryGetValue(TokenKey, out var token) == true && token is { Length: > 0 });
        return (needsCa, needsToken, needsNamespace);
    }

    private static string Annotation(V1Secret secret, string name) =>
        secret.Metadata?.Annotations?.TryGetValue(name, out var value) == true && value is not null ? value : "";

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Deleting token secret {Namespace}/{Name}: service account {Account} does not exist (or is another one)")]
        public static partial void DeletingToken(ILogger logger, string @namespace, string name, string account);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Filled token secret {Namespace}/{Name} for service account {Account}")]
        public static partial void Filled(ILogger logger, string @namespace, string name, string account);
    }
}
