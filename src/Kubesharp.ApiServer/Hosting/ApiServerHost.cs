using System.Net;
using System.Security.Authentication;
using Kubesharp.Api.Auth;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;
using Kubesharp.ApiServer.Admission;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Auth.Authorization;
using Kubesharp.ApiServer.Cache;
using Kubesharp.ApiServer.Crd;
using Kubesharp.ApiServer.Discovery;
using Kubesharp.ApiServer.Http;
using Kubesharp.ApiServer.OpenApi;
using Kubesharp.ApiServer.Pki;
using Kubesharp.ApiServer.Rest;
using Kubesharp.ApiServer.ServiceAllocation;
using Kubesharp.ApiServer.Streaming;
using Kubesharp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Hosting;

/// <summary>
/// One API server: HTTPS on the configured address, the REST API over a store, discovery, health.
/// Start it with <see cref="StartAsync"/>; it writes <c>admin.kubeconfig</c> once it serves.
/// </summary>
public sealed class ApiServerHost : IAsyncDisposable
{
    /// <summary>The version reported by <c>/version</c>: the Kubernetes API level it serves.</summary>
    public const string GitVersion = "v1.32.0-kubesharp";

    private static readonly string[] BootstrapNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private readonly ApiServerOptions _options;
    private readonly IStore _store;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    // Built-in kinds plus a custom layer that the CRD registry swaps as CRDs come and go.
    private readonly ResourceTable _table = BuiltinResources.Table.WithCustomLayer();
    // Built-in kinds from the KubernetesClient models; custom resources from their CRD's openAPIV3Schema.
    private readonly IResourceSchemaSource _schemas = new ResourceSchemaSources(BuiltinSchemas.Instance, Kubesharp.Api.Crd.CustomResourceSchemas.Instance);
    private WebApplication? _app;
    private ServiceAccountKeys? _keys;
    private RbacSource? _rbac;
    private NodeGraphFeed? _graphFeed;
    private WatchCache? _cache;
    private CrdRegistry? _crds;
    private readonly CancellationTokenSource _background = new();
    private Task? _storageCounts;
    private KubeletConnection? _kubelets;
    private AllocationRepair? _repair;
    private KubernetesServiceController? _kubernetesService;

    public ApiServerHost(ApiServerOptions options, IStore store, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _options = options;
        _store = store;
        _loggers = loggers;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The URL clients use, known once started (the port may have been chosen by the OS).</summary>
    public Uri? Url { get; private set; }

    public string KubeconfigPath => Path.Combine(_options.DataDir, "admin.kubeconfig");

    public ClusterPki? Pki { get; private set; }

    /// <summary>The address this server announces in the <c>kubernetes</c> Service's endpoints (known once started).</summary>
    public string? AdvertisedAddress { get; private set; }

    /// <summary>The host's own address as an API server without a configured one would announce it when bound to every address.</summary>
    public static string HostAddress() => AdvertiseAddress.Resolve(null, "0.0.0.0");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Malformed ranges stop the server before it touches anything (ArgumentException).
        var serviceIps = ServiceIpRange.Parse(_options.ServiceCidr);
        var nodePorts = NodePortRange.Parse(_options.NodePortRange);
        var advertise = AdvertisedAddress = AdvertiseAddress.Resolve(_options.AdvertiseAddress, _options.BindAddress);
        Directory.CreateDirectory(_options.DataDir);
        // The CA, service-account key and node token come from the datastore, so servers sharing it are one cluster.
        await ClusterBootstrap.SyncAsync(_store, _options.DataDir, _loggers.CreateLogger("kube-apiserver"), _time, cancellationToken);
        var pki = Pki = ClusterPki.LoadOrCreate(_options.DataDir, ["localhost", "127.0.0.1", _options.BindAddress, advertise, Dns.GetHostName(), _options.ServiceAddress, serviceIps.First, "kubernetes", "kubernetes.default", "kubernetes.default.svc"], _time);
        await BootstrapAsync(cancellationToken);
        await new RbacBootstrap(_store, _table, _time).EnsureAsync(cancellationToken);
        // The allocation bitmaps are rebuilt from the Services before any request can allocate (upstream's repair at start).
        var allocator = new ServiceAllocator(_store, serviceIps, nodePorts, _options.AllocationRandom ?? Random.Shared, _loggers.CreateLogger("service-allocator"));
        _repair = new AllocationRepair(allocator, _store, _table.Find("", "v1", "services")!, _time, _loggers.CreateLogger("service-allocation-repair"));
        await _repair.RunOnceAsync(cancellationToken);
        _repair.Start(_options.AllocationRepairInterval);
        _cache = new WatchCache(_store, _loggers.CreateLogger("watch-cache"), _options.WatchCacheCapacity);
        await _cache.StartAsync(cancellationToken);
        // Every namespaced create checks its namespace: keep namespaces in the cache from the start.
        var namespaces = _table.Find("", "v1", "namespaces")!;
        await _cache.GetAsync(namespaces.StoragePrefix, namespaces.FieldSelectors, cancellationToken);
        _crds = new CrdRegistry(_store, _table, _time, _loggers.CreateLogger("apiextensions-apiserver"));
        await _crds.StartAsync(cancellationToken);

        // No reloading of appsettings.json: with it, the host watches its content root (the working directory) and every
        // directory below it through inotify, about a thousand watches from a node's working directory and the whole
        // file system from "/" (docs/adr/0023).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Bodies over 3 MiB are refused by the handler (413) after draining; past this, Kestrel cuts the connection.
            kestrel.Limits.MaxRequestBodySize = 4 * ObjectJson.MaxBodyBytes;
            kestrel.Listen(IPAddress.Parse(_options.BindAddress), _options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = pki.Serving,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    // Client certificates are read by authentication (issue 4); none is required yet.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            });
        });
        var app = builder.Build();
        var rbac = _rbac = new RbacSource(_cache, _table, _loggers.CreateLogger("rbac"));
        await rbac.StartAsync(cancellationToken);
        var graph = new NodeGraph();
        _graphFeed = new NodeGraphFeed(_cache, _table, graph, _loggers.CreateLogger("node-authorizer"));
        await _graphFeed.StartAsync(cancellationToken);
        var rbacAuthorizer = new RbacAuthorizer(() => rbac.Current);
        var authorizer = new AuthorizerChain(new PrivilegedGroupsAuthorizer(UserInfo.Masters), new NodeAuthorizer(graph, BootstrapPolicy.NodeRules()), rbacAuthorizer);
        var reader = new ClusterObjectReader(_store, _table, _cache);
        var keys = _keys = ServiceAccountKeys.LoadOrCreate(_options.DataDir);
        var issuer = new ServiceAccountTokenIssuer(keys, _time, _options.ServiceAccountIssuer);
        List<IAuthenticator> authenticators = [new X509Authenticator(pki.Ca, _time)];
        if (_options.TokenAuthFile is { } tokenFile)
        {
            authenticators.Add(StaticTokenAuthenticator.Load(tokenFile));
        }

        authenticators.Add(new ServiceAccountTokenAuthenticator(keys, reader, _time, _options.ServiceAccountIssuer, _options.ApiAudiences));
        authenticators.Add(new BootstrapTokenAuthenticator(reader, _time));
        var auth = new RequestAuth(new AuthenticatorChain(authenticators), authorizer, _loggers.CreateLogger("authentication"), _time) { Anonymous = _options.AnonymousAuth };
        var admission = new AdmissionChain(
        [
            new NodeRestrictionAdmission(),
            new ServiceAccountAdmission(reader, _options.RequireServiceAccounts),
            new DefaultTolerationSeconds(),
            new PriorityAdmission(reader),
            new CertificateSigningRequestAdmission(),
            new RbacEscalationAdmission(rbac, authorizer),
        ]);
        var rest = new RestHandler(_store, _table, _schemas, _time, _cache) { Stopping = app.Lifetime.ApplicationStopping, BookmarkInterval = _options.BookmarkInterval, Admission = admission, Services = allocator };
        var router = new ApiRouter(rest, _table, _schemas, _loggers.CreateLogger("kube-apiserver"))
        {
            Auth = auth,
            Reviews = new ReviewHandler(auth, authorizer),
            Tokens = new TokenRequestHandler(issuer, reader, _options.ApiAudiences),
            Streaming = new PodStreamingHandler(reader, _kubelets = new KubeletConnection(pki.LoadOrIssueKubeletClient(), pki.Ca, _loggers.CreateLogger("kubelet-client")), _loggers.CreateLogger("kube-apiserver")),
        };
        // Exec and attach are WebSocket upgrades (HTTP/1.1, or extended CONNECT over HTTP/2).
        app.UseWebSockets();
        app.Run(router.HandleAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Urls.First();
        var port = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        Url = new Uri($"https://{(_options.BindAddress == "0.0.0.0" ? "127.0.0.1" : _options.BindAddress)}:{port}");
        router.ServerAddress = $"{Url.Host}:{port}";
        _storageCounts = CountStorageObjectsAsync(router.Metrics);
        _kubernetesService = new KubernetesServiceController(_store, _table, allocator, advertise, port, _options.EndpointLeaseTtl, _options.EndpointReconcileInterval, _time, _loggers.CreateLogger("kubernetes-service"));
        await _kubernetesService.StartAsync(cancellationToken);
        router.Discovery = new ServiceAccountIssuerDiscovery(keys, _options.ServiceAccountIssuer, ServiceAccountIssuerDiscovery.DefaultJwksUri(router.ServerAddress));
        await WriteComponentCredentialsAsync(pki, Url.ToString().TrimEnd('/'), cancellationToken);
        pki.WriteAdminKubeconfig(KubeconfigPath, Url.ToString().TrimEnd('/'));
    }

    private async Task CountStorageObjectsAsync(ApiMetrics metrics)
    {
        try
        {
            await metrics.CountStorageObjectsAsync(_store, _table, _options.StorageObjectCountInterval, _time, _background.Token);
        }
        catch (OperationCanceledException) when (_background.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops accepting, lets requests in flight finish (watches end), then returns.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _background.CancelAsync();
        if (_storageCounts is not null)
        {
            await _storageCounts;
        }

        // Upstream withdraws the server's address from the kubernetes Service's endpoints first.
        if (_kubernetesService is not null)
        {
            await _kubernetesService.StopAsync(cancellationToken);
        }

        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }

        if (_crds is not null)
        {
            await _crds.StopAsync();
        }

        await StopAuthFeedsAsync();

        if (_cache is not null)
        {
            await _cache.DisposeAsync();
        }
    }

    /// <summary>The path of the bootstrap token that agents join with (<c>kubesharp agent --token</c>).</summary>
    public string NodeTokenPath => Path.Combine(_options.DataDir, "node-token");

    /// <summary>
    /// One kubeconfig per control-plane component, each with its own client certificate (so that RBAC sees
    /// <c>system:kube-controller-manager</c>, <c>system:kube-scheduler</c>, <c>system:kube-proxy</c>), and the
    /// node join token: a bootstrap token Secret in kube-system, written to <c>node-token</c>, in kubeadm's group
    /// <c>system:bootstrappers:kubeadm:default-node-token</c> (which kubeadm's bindings let create and auto-approve node
    /// client CSRs, see <see cref="BootstrapPolicy.KubeadmClusterRoleBindings"/>). Both are kept
    /// across restarts; the token is the cluster's (<see cref="ClusterBootstrap"/>), and its Secret is made again when gone.
    /// </summary>
    private async Task WriteComponentCredentialsAsync(ClusterPki pki, string url, CancellationToken cancellationToken)
    {
        foreach (var (name, user) in (ReadOnlySpan<(string, string)>)[("controller-manager", "system:kube-controller-manager"), ("scheduler", "system:kube-scheduler"), ("kube-proxy", "system:kube-proxy")])
        {
            pki.WriteKubeconfig(Path.Combine(_options.DataDir, name + ".kubeconfig"), url, pki.LoadOrIssueClient(name, user, [], _time), name);
        }

        // The token is the cluster's, from the datastore (ClusterBootstrap); a Secret that is gone is made again for it.
        var secrets = _table.Find("", "v1", "secrets")!;
        var token = File.ReadAllText(NodeTokenPath).Trim();
        if (!BootstrapTokens.TryParse(token, out var id, out var tokenSecret))
        {
            throw new InvalidDataException($"{NodeTokenPath} does not hold a bootstrap token");
        }

        if (await _store.GetAsync(secrets.StorageKey("kube-system", "bootstrap-token-" + id), 0, cancellationToken) is not null)
        {
            await PublishClusterInfoAsync(pki, url, id, tokenSecret, cancellationToken);
            return;
        }

        var secret = System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(BootstrapTokens.CreateSecret(token, extraGroups: [BootstrapTokens.DefaultNodeTokenGroup], description: "The token kubesharp agents join the cluster with.")))!.AsObject();
        var meta = ObjectJson.Metadata(secret);
        meta["namespace"] = "kube-system";
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectJson.Time(_time.GetUtcNow());
        // Another server of the cluster may create it at the same moment: AlreadyExists is the same token.
        await _store.CreateAsync(secrets.StorageKey("kube-system", meta["name"]!.GetValue<string>()), ObjectJson.ToStorage(secret), null, cancellationToken);
        await PublishClusterInfoAsync(pki, url, id, tokenSecret, cancellationToken);
    }

    /// <summary>
    /// Writes <c>kube-public/cluster-info</c> (<see cref="ClusterInfo"/>) with the server URL, the CA and the node
    /// token's signature, as <c>kubeadm init</c> and the bootstrap signer controller do; rewritten when any of them
    /// changed. Only the node token signs it (there is no bootstrap signer controller for tokens made later).
    /// </summary>
    private async Task PublishClusterInfoAsync(ClusterPki pki, string url, string tokenId, string tokenSecret, CancellationToken cancellationToken)
    {
        var configmaps = _table.Find("", "v1", "configmaps")!;
        var key = configmaps.StorageKey(ClusterInfo.Namespace, ClusterInfo.Name);
        var data = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in ClusterInfo.Data(url, pki.Ca.ExportCertificatePem(), tokenId, tokenSecret))
        {
            data[name] = value;
        }

        var existing = await _store.GetAsync(key, 0, cancellationToken);
        if (existing is null)
        {
            var obj = new System.Text.Json.Nodes.JsonObject
            {
                ["kind"] = "ConfigMap",
                ["apiVersion"] = "v1",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = ClusterInfo.Name,
                    ["namespace"] = ClusterInfo.Namespace,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = ObjectJson.Time(_time.GetUtcNow()),
                },
                ["data"] = data,
            };
            await _store.CreateAsync(key, ObjectJson.ToStorage(obj), null, cancellationToken);
            return;
        }

        var stored = System.Text.Json.Nodes.JsonNode.Parse(existing.Value)!.AsObject();
        if (System.Text.Json.Nodes.JsonNode.DeepEquals(stored["data"], data))
        {
            return;
        }

        stored["data"] = data;
        await _store.UpdateAsync(key, ObjectJson.ToStorage(stored), existing.ModRevision, null, cancellationToken);
    }

    /// <summary>The namespaces that exist from the start, created if missing (idempotent, safe on every start).</summary>
    private async Task BootstrapAsync(CancellationToken cancellationToken)
    {
        var namespaces = _table.Find("", "v1", "namespaces")!;
        foreach (var ns in BootstrapNamespaces)
        {
            var obj = new System.Text.Json.Nodes.JsonObject
            {
                ["kind"] = "Namespace",
                ["apiVersion"] = "v1",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = ns,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = ObjectJson.Time(_time.GetUtcNow()),
                    ["labels"] = new System.Text.Json.Nodes.JsonObject { ["kubernetes.io/metadata.name"] = ns },
                },
                ["spec"] = new System.Text.Json.Nodes.JsonObject { ["finalizers"] = new System.Text.Json.Nodes.JsonArray("kubernetes") },
                ["status"] = new System.Text.Json.Nodes.JsonObject { ["phase"] = "Active" },
            };
            await _store.CreateAsync(namespaces.StorageKey(null, ns), ObjectJson.ToStorage(obj), null, cancellationToken);
        }

        // Upstream's two system priority classes, which the API server creates at start.
        var classes = _table.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        foreach (var (name, value, description) in SystemPriorityClasses)
        {
            var obj = new System.Text.Json.Nodes.JsonObject
            {
                ["kind"] = "PriorityClass",
                ["apiVersion"] = "scheduling.k8s.io/v1",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = ObjectJson.Time(_time.GetUtcNow()),
                    ["generation"] = 1,
                },
                ["value"] = value,
                ["globalDefault"] = false,
                ["description"] = description,
                ["preemptionPolicy"] = "PreemptLowerPriority",
            };
            await _store.CreateAsync(classes.StorageKey(null, name), ObjectJson.ToStorage(obj), null, cancellationToken);
        }
    }

    private static readonly (string Name, long Value, string Description)[] SystemPriorityClasses =
    [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    private async Task StopAuthFeedsAsync()
    {
        if (_rbac is not null)
        {
            await _rbac.DisposeAsync();
            _rbac = null;
        }

        if (_graphFeed is not null)
        {
            await _graphFeed.DisposeAsync();
            _graphFeed = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _background.CancelAsync();
        if (_storageCounts is not null)
        {
            await _storageCounts;
        }

        if (_kubernetesService is not null)
        {
            await _kubernetesService.DisposeAsync();
        }

        if (_repair is not null)
        {
            await _repair.DisposeAsync();
        }

        await StopAuthFeedsAsync();
        _keys?.Dispose();
        _kubelets?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_crds is not null)
        {
            await _crds.DisposeAsync();
        }

        if (_cache is not null)
        {
            await _cache.DisposeAsync();
        }
    }

    private sealed class ApiRouter(RestHandler rest, ResourceTable table, IResourceSchemaSource schemas, ILogger logger)
    {
        private readonly RestHandler _rest = rest;
        private readonly DiscoveryDocuments _discovery = new(table);
        private readonly OpenApiDocuments _openApi = new(() => table, schemas, GitVersion);
        private readonly ApiMetrics _metrics = new();

        public ApiMetrics Metrics => _metrics;

        public string ServerAddress { get; set; } = "127.0.0.1:6443";

        /// <summary>Authentication and authorization of every request; null serves every request unchecked.</summary>
        public RequestAuth? Auth { get; init; }

        public ReviewHandler? Reviews { get; init; }

        public TokenRequestHandler? Tokens { get; init; }

        /// <summary><c>pods/log</c>, <c>pods/exec</c> and <c>pods/attach</c>, through the pod's kubelet.</summary>
        public PodStreamingHandler? Streaming { get; init; }

        /// <summary>The service account issuer's OIDC discovery documents (known once the address is).</summary>
        public ServiceAccountIssuerDiscovery? Discovery { get; set; }

        public async Task HandleAsync(HttpContext context)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var mutating = context.Request.Method is not ("GET" or "HEAD" or "OPTIONS");
            using (_metrics.TrackInflight(mutating))
            {
                await HandleCoreAsync(context);
            }

            var apiPath = context.Items[typeof(ApiPath)] as ApiPath;
            var watch = context.Request.Query["watch"].ToString() is "true" or "1";
            _metrics.Observe(RequestLabelValues.For(context.Request.Method, apiPath, watch), context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        private async Task HandleCoreAsync(HttpContext context)
        {
            try
            {
                await RouteAsync(context);
            }
            catch (StatusException e)
            {
                await StatusResponses.WriteAsync(context, e);
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Unavailable)
            {
                await StatusResponses.WriteAsync(context, StatusException.ServiceUnavailable($"storage is unavailable: {e.Message}"));
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
            {
                await StatusResponses.WriteAsync(context, StatusException.Gone($"too old resource version: {e.Message}"));
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.InvalidArgument)
            {
                await StatusResponses.WriteAsync(context, StatusException.BadRequest(e.Message));
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                ApiServerLog.RequestFailed(logger, e, context.Request.Method, context.Request.Path);
                await StatusResponses.WriteAsync(context, StatusException.Internal("an error on the server has prevented the request from succeeding"));
            }
        }

        private async Task RouteAsync(HttpContext context)
        {
            var path = context.Request.Path.Value ?? "/";
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var apiPath = segments.Length >= 2 && segments[0] is "api" or "apis" ? ApiPath.Parse(table, segments[0] == "api", segments[1..]) : null;
            if (apiPath is not null)
            {
                context.Items[typeof(ApiPath)] = apiPath;
            }

            if (Auth is { } auth)
            {
                var user = await auth.AuthenticateAsync(context);
                var impersonation = Impersonation.Apply(user, context.Request.Headers, auth.Authorizer.Authorize);
                switch (impersonation.Outcome)
                {
                    case ImpersonationOutcome.Refused:
                        throw impersonation.Error!;
                    case ImpersonationOutcome.Impersonated:
                        user = impersonation.User!;
                        foreach (var header in context.Request.Headers.Keys.Where(Impersonation.IsImpersonationHeader).ToList())
                        {
                            context.Request.Headers.Remove(header);
                        }

                        break;
                }

                context.Items[typeof(UserInfo)] = user;
                auth.Authorize(RequestInfo.Resolve(user, context.Request, apiPath));
            }

            if (context.Request.Method == "GET")
            {
                switch (path)
                {
                    case "/healthz" or "/livez" or "/readyz":
                        await WriteTextAsync(context, context.Request.Query.ContainsKey("verbose") ? $"[+]ping ok\n[+]etcd ok\n{path[1..]} check passed\n" : "ok");
                        return;
                    case "/metrics":
                        context.Response.StatusCode = 200;
                        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                        await _metrics.WriteAsync(context.Response.Body, context.RequestAborted);
                        return;
                    case ServiceAccountIssuerDiscovery.ConfigurationPath when Discovery is { } oidc:
                        context.Response.Headers.CacheControl = ServiceAccountIssuerDiscovery.CacheControl;
                        await WriteJsonAsync(context, ServiceAccountIssuerDiscovery.ConfigurationContentType, oidc.OpenIdConfiguration);
                        return;
                    case ServiceAccountIssuerDiscovery.JwksPath when Discovery is { } oidc:
                        context.Response.Headers.CacheControl = ServiceAccountIssuerDiscovery.CacheControl;
                        await WriteJsonAsync(context, ServiceAccountIssuerDiscovery.JwksContentType, oidc.Jwks);
                        return;
                    case "/version":
                        await WriteJsonAsync(context, "application/json", VersionInfo());
                        return;
                    case "/api":
                        await (DiscoveryDocuments.WantsAggregated(context.Request.Headers.Accept)
                            ? WriteJsonAsync(context, DiscoveryDocuments.AggregatedContentType, _discovery.Aggregated(core: true))
                            : WriteJsonAsync(context, "application/json", DiscoveryDocuments.ApiVersions(ServerAddress)));
                        return;
                    case "/apis":
                        await (DiscoveryDocuments.WantsAggregated(context.Request.Headers.Accept)
                            ? WriteJsonAsync(context, DiscoveryDocuments.AggregatedContentType, _discovery.Aggregated(core: false))
                            : WriteJsonAsync(context, "application/json", _discovery.ApiGroupList()));
                        return;
                    case "/openapi/v2":
                        // An empty (zero-byte) protobuf document: kubectl skips client-side schema validation.
                        context.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
                        return;
                }

                if (segments is ["openapi", "v3", ..] && await _openApi.TryServeAsync(context, path))
                {
                    return;
                }

                if (segments is ["apis", var group])
                {
                    await WriteJsonAsync(context, "application/json", _discovery.ApiGroup(group) ?? throw StatusResponses.NotFoundPath(path));
                    return;
                }
            }

            if (segments.Length >= 2 && segments[0] is "api" or "apis")
            {
                if (apiPath is null)
                {
                    throw StatusResponses.NotFoundPath(path);
                }

                if (apiPath.IsGroupVersionRoot)
                {
                    await WriteJsonAsync(context, "application/json", _discovery.ApiResourceList(apiPath.Group, apiPath.Version));
                    return;
                }

                if (Tokens is { } tokens && TokenRequestHandler.Handles(apiPath))
                {
                    await tokens.HandleAsync(context, apiPath);
                    return;
                }

                if (Streaming is { } streaming && PodStreamingHandler.Handles(apiPath))
                {
                    await streaming.HandleAsync(context, apiPath);
                    return;
                }

                if (Reviews is { } reviews && ReviewHandler.Handles(apiPath.Resource!))
                {
                    await reviews.HandleAsync(context, apiPath);
                    return;
                }

                await _rest.HandleAsync(context, apiPath);
                return;
            }

            throw StatusResponses.NotFoundPath(path);
        }

        private static byte[] VersionInfo() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["major"] = "1",
            ["minor"] = "32",
            ["gitVersion"] = GitVersion,
            ["gitCommit"] = "",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-11-27T00:00:00Z",
            ["goVersion"] = "dotnet" + Environment.Version,
            ["compiler"] = "dotnet",
            ["platform"] = "linux/amd64",
        });

        private static async Task WriteJsonAsync(HttpContext context, string contentType, byte[] body)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }

        private static async Task WriteTextAsync(HttpContext context, string text)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }
    }
}

internal static partial class ApiServerLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string? path);
}
