using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Tokens;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Tokens;

public sealed class TokensControllerTests : IDisposable
{
    private const string Ns = "ci";

    // RSA-2048 generation is slow: one key for the class.
    private static readonly ServiceAccountKeys Keys = ServiceAccountKeys.FromKey(RSA.Create(2048));
    private static readonly byte[] RootCa = Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n");

    private readonly Indexer<V1ServiceAccount> _accountCache = new();
    private readonly Indexer<V1Secret> _secretCache = new();
    private readonly FakeTokensApi _api = new();
    private TokensController _controller;

    public TokensControllerTests() => _controller = NewController(RootCa);

    public void Dispose() => _controller.Dispose();

    private TokensController NewController(byte[] rootCa) =>
        new(new Lister<V1ServiceAccount>(_accountCache), new Lister<V1Secret>(_secretCache), [], _api, new ServiceAccountSigning(Keys, rootCa), TimeProvider.System, NullLogger.Instance);

    private V1ServiceAccount Account(string name, string uid, bool cached = true, bool live = true, params string[] secrets)
    {
        var account = new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Uid = uid },
            Secrets = secrets.Length == 0 ? null : [.. secrets.Select(s => new V1ObjectReference { Name = s })],
        };
        if (live)
        {
            _api.Put(account);
        }

        if (cached)
        {
            _accountCache.Upsert(account);
        }

        return account;
    }

    private V1Secret TokenSecret(string name, string account, string? accountUid = null, Dictionary<string, byte[]>? data = null, string type = TokensController.TokenSecretType)
    {
        var annotations = new Dictionary<string, string> { [TokensController.ServiceAccountNameAnnotation] = account };
        if (accountUid is not null)
        {
            annotations[TokensController.ServiceAccountUidAnnotation] = accountUid;
        }

        var secret = _api.Put(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Uid = "uid-of-" + name, Annotations = annotations },
            Type = type,
            Data = data,
        });
        _secretCache.Upsert(secret);
        return secret;
    }

    private async Task DrainAsync()
    {
        // Bounded: each pass either empties the queue or the test's state is wrong.
        for (var i = 0; i < 100 && _controller.Queue.Count > 0; i++)
        {
            var (key, _) = await _controller.Queue.GetAsync(CancellationToken.None);
            try
            {
                await _controller.SyncAsync(key, CancellationToken.None);
            }
            finally
            {
                _controller.Queue.Done(key);
            }
        }

        Assert.Equal(0, _controller.Queue.Count);
    }

    private static string Text(V1Secret secret, string key) => Encoding.UTF8.GetString(secret.Data[key]);

    [Fact]
    public async Task A_token_secret_of_an_existing_account_gets_a_legacy_token_the_ca_the_namespace_and_the_accounts_uid()
    {
        Account("builder", "sa-uid-1");
        var secret = TokenSecret("builder-token", "builder");

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        var written = Assert.Single(_api.SecretUpdates);
        Assert.Equal(RootCa, written.Data["ca.crt"]);
        Assert.Equal(Ns, Text(written, "namespace"));
        Assert.Equal("builder", written.Metadata.Annotations["kubernetes.io/service-account.name"]);
        Assert.Equal("sa-uid-1", written.Metadata.Annotations["kubernetes.io/service-account.uid"]);
        Assert.True(CompactJws.TrySplit(Text(written, "token"), out var parts, out var payload), "the token is a compact JWS");
        Assert.Null(CompactJws.Verify(parts, Keys));
        var claims = ServiceAccountClaims.Parse(payload, out var error);
        Assert.Null(error);
        Assert.Equal(
            ("kubernetes/serviceaccount", "system:serviceaccount:ci:builder", Ns, "builder-token", "builder", "sa-uid-1"),
            (claims!.Issuer, claims.Subject, claims.LegacyNamespace, claims.LegacySecretName, claims.LegacyServiceAccountName, claims.LegacyServiceAccountUid));
    }

    [Fact]
    public async Task A_filled_secret_is_left_alone_without_a_read()
    {
        Account("builder", "sa-uid-1");
        var secret = TokenSecret("builder-token", "builder", "sa-uid-1", new() { ["token"] = "t"u8.ToArray(), ["ca.crt"] = RootCa, ["namespace"] = "ci"u8.ToArray() });

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        Assert.Empty(_api.SecretUpdates);
        Assert.Empty(_api.SecretDeletes);
    }

    [Fact]
    public async Task A_different_ca_is_replaced_and_the_token_is_kept()
    {
        Account("builder", "sa-uid-1");
        var secret = TokenSecret("builder-token", "builder", "sa-uid-1", new() { ["token"] = "kept"u8.ToArray(), ["ca.crt"] = "old"u8.ToArray(), ["namespace"] = "ci"u8.ToArray() });

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        var written = Assert.Single(_api.SecretUpdates);
        Assert.Equal(RootCa, written.Data["ca.crt"]);
        Assert.Equal("kept", Text(written, "token"));
    }

    [Fact]
    public async Task Without_a_root_ca_no_ca_crt_is_written()
    {
        _controller.Dispose();
        _controller = NewController([]);
        Account("builder", "sa-uid-1");
        var secret = TokenSecret("builder-token", "builder");

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        var written = Assert.Single(_api.SecretUpdates);
        Assert.Equal(["namespace", "token"], written.Data.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_secret_whose_account_does_not_exist_is_deleted_with_its_uid_as_precondition()
    {
        var secret = TokenSecret("ghost-token", "ghost");

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        Assert.Equal([(Ns, "ghost-token", "uid-of-ghost-token")], _api.SecretDeletes);
        Assert.Equal(1, _api.AccountReads);
        Assert.Null(_api.Secret(Ns, "ghost-token"));
    }

    [Fact]
    public async Task A_secret_of_an_earlier_account_with_the_same_name_is_deleted()
    {
        Account("builder", "new-uid");
        var secret = TokenSecret("builder-token", "builder", "old-uid");

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        Assert.Equal([(Ns, "builder-token", "uid-of-builder-token")], _api.SecretDeletes);
        Assert.Empty(_api.SecretUpdates);
    }

    [Fact]
    public async Task An_account_the_cache_has_not_seen_yet_is_read_live_and_its_secret_filled()
    {
        Account("builder", "sa-uid-1", cached: false);
        var secret = TokenSecret("builder-token", "builder");

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        Assert.Empty(_api.SecretDeletes);
        Assert.Equal("sa-uid-1", Assert.Single(_api.SecretUpdates).Metadata.Annotations["kubernetes.io/service-account.uid"]);
    }

    [Fact]
    public async Task A_secret_the_cache_holds_an_older_version_of_is_not_written()
    {
        Account("builder", "sa-uid-1");
        var secret = TokenSecret("builder-token", "builder");
        _secretCache.Upsert(new V1Secret { Metadata = new V1ObjectMeta { Name = secret.Metadata.Name, NamespaceProperty = Ns, Uid = secret.Metadata.Uid, ResourceVersion = "1", Annotations = secret.Metadata.Annotations }, Type = secret.Type });

        _controller.OnSecretChanged(secret);
        await DrainAsync();

        Assert.Empty(_api.SecretUpdates);
    }

    [Fact]
    public async Task When_an_account_goes_its_token_secrets_go_and_nothing_else()
    {
        var account = Account("builder", "sa-uid-1", cached: false, live: false);
        TokenSecret("builder-token-a", "builder", "sa-uid-1");
        TokenSecret("builder-token-b", "builder");
        Account("deployer", "sa-uid-2");
        TokenSecret("deployer-token", "deployer", "sa-uid-2", new() { ["token"] = "t"u8.ToArray(), ["ca.crt"] = RootCa, ["namespace"] = "ci"u8.ToArray() });
        TokenSecret("builder-opaque", "builder", type: "Opaque");

        _controller.OnAccountChanged(account);
        await DrainAsync();

        Assert.Equal(["builder-token-a", "builder-token-b"], _api.SecretDeletes.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.NotNull(_api.Secret(Ns, "deployer-token"));
        Assert.NotNull(_api.Secret(Ns, "builder-opaque"));
    }

    [Fact]
    public async Task A_deleted_token_secret_is_removed_from_its_accounts_secrets()
    {
        Account("builder", "sa-uid-1", true, true, "builder-token", "registry-pull");
        var secret = TokenSecret("builder-token", "builder", "sa-uid-1");
        _secretCache.Delete(ObjectKeys.For(secret));

        _controller.OnSecretDeleted(secret);
        await DrainAsync();

        var updated = Assert.Single(_api.AccountUpdates);
        Assert.Equal(["registry-pull"], updated.Secrets.Select(s => s.Name));
    }

    [Fact]
    public async Task A_conflict_removing_the_reference_is_retried()
    {
        Account("builder", "sa-uid-1", true, true, "builder-token");
        var secret = TokenSecret("builder-token", "builder", "sa-uid-1");
        _secretCache.Delete(ObjectKeys.For(secret));
        _api.ConflictOnNextAccountUpdate = true;
        _controller.OnSecretDeleted(secret);
        var (key, _) = await _controller.Queue.GetAsync(CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _controller.SyncAsync(key, CancellationToken.None));
        await _controller.SyncAsync(key, CancellationToken.None);
        _controller.Queue.Done(key);

        Assert.Equal(2, _api.AccountUpdates.Count);
        Assert.Empty(_api.AccountUpdates[^1].Secrets ?? []);
    }

    [Fact]
    public void Secrets_of_other_types_are_not_queued()
    {
        var opaque = TokenSecret("builder-opaque", "builder", type: "Opaque");

        _controller.OnSecretChanged(opaque);
        _controller.OnSecretDeleted(opaque);

        Assert.Equal(0, _controller.Queue.Count);
    }
}
