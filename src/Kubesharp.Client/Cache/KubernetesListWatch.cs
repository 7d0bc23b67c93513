using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>
/// <see cref="ListWatch{T}"/> for any typed model of the KubernetesClient package (<c>V1Pod</c>,
/// <c>V1ConfigMap</c>, <c>V1Lease</c>, ...), located by its <see cref="KubernetesEntityAttribute"/>
/// (group, version, plural).
/// <para>
/// It speaks HTTP through the <see cref="Kubernetes"/> client's own <see cref="Kubernetes.HttpClient"/>
/// (its TLS settings and client certificates) and <see cref="Kubernetes.Credentials"/> (tokens), but
/// reads the watch stream itself: the package's <c>Watcher</c> turns ERROR lines into callbacks and
/// parses every line twice, and its generated calls block until the first line arrives; here an ERROR
/// line is an event value and an HTTP error is an <see cref="ApiStatusException"/>, which is what the
/// reflector needs to tell 410 Gone from other failures. Not supported: a kubeconfig
/// <c>tls-server-name</c> (the package keeps it private).
/// </para>
/// <para>
/// Lists are read in pages of <see cref="PageSize"/> at resourceVersion "" (a consistent read of the
/// newest state); watches ask for bookmarks and a server-side timeout.
/// </para>
/// </summary>
public static class KubernetesListWatch
{
    public const int PageSize = 500;

    public static ListWatch<T> Create<T>(Kubernetes client, string? ns = null, string? labelSelector = null, string? fieldSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = CollectionPath(typeof(T), ns);
        return ForPath<T>(client, path, labelSelector, fieldSelector);
    }

    /// <summary>
    /// The same list and watch for a collection named by its path (relative to the client's base URI, as
    /// <see cref="CollectionPath"/> makes them), for kinds known only at run time: a type such as a
    /// metadata-only object reads any resource found through discovery, custom resources included.
    /// </summary>
    public static ListWatch<T> ForPath<T>(Kubernetes client, string collectionPath, string? labelSelector = null, string? fieldSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new(
            ct => ListAsync<T>(client, collectionPath, labelSelector, fieldSelector, ct),
            (request, ct) => WatchAsync<T>(client, collectionPath, labelSelector, fieldSelector, request, ct));

    /// <summary>The collection path, relative to the client's base URI: <c>api/v1/namespaces/ns/pods</c>, <c>apis/apps/v1/deployments</c>.</summary>
    public static string CollectionPath(Type type, string? ns)
    {
        var entity = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{type.Name} has no [KubernetesEntity] attribute: not a KubernetesClient model", nameof(type));
        var sb = new StringBuilder(string.IsNullOrEmpty(entity.Group) ? "api/" : $"apis/{entity.Group}/");
        sb.Append(entity.ApiVersion);
        if (!string.IsNullOrEmpty(ns))
        {
            sb.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }

        return sb.Append('/').Append(entity.PluralName).ToString();
    }

    private static async Task<ListResult<T>> ListAsync<T>(Kubernetes client, string path, string? labelSelector, string? fieldSelector, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(client.HttpClientTimeout);
        var items = new List<T>();
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var query = new Query();
            query.Add("limit", PageSize.ToString(CultureInfo.InvariantCulture));
            query.Add("continue", continueToken);
            query.Add("labelSelector", labelSelector);
            query.Add("fieldSelector", fieldSelector);
            using var response = await SendAsync(client, path + query, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            var metadata = ParseListPage(body, items)
                ?? throw new InvalidDataException($"GET {path}: empty list body");
            resourceVersion = metadata.ResourceVersion ?? "";
            continueToken = metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));

        return new ListResult<T>(items, resourceVersion);
    }

    private static async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        Kubernetes client,
        string path,
        string? labelSelector,
        string? fieldSelector,
        WatchRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var query = new Query();
        query.Add("watch", "true");
        query.Add("resourceVersion", request.ResourceVersion);
        query.Add("allowWatchBookmarks", request.AllowBookmarks ? "true" : null);
        query.Add("timeoutSeconds", request.Timeout is { } t ? ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null);
        query.Add("labelSelector", labelSelector);
        query.Add("fieldSelector", fieldSelector);
        using var response = await SendAsync(client, path + query, cancellationToken).ConfigureAwait(false);
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return ParseEvent<T>(line);
            }
        }
    }

    /// <summary>
    /// Reads one page of a list (<c>{"metadata":{...},"items":[...]}</c>), adding its items to <paramref name="items"/>;
    /// returns its metadata (empty when it has none), or null for a <c>null</c> body. Each item is read as
    /// <typeparamref name="T"/> on its own rather than the page as the package's generic <c>KubernetesList&lt;T&gt;</c>,
    /// which the package's source-generated JSON does not cover: that needs reflection, which an ahead-of-time compiled
    /// node (docs/adr/0023) does not have.
    /// </summary>
    /// <exception cref="JsonException">The body is not a list.</exception>
    public static V1ListMeta? ParseListPage<T>(string body, List<T> items)
        where T : class
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("a list body that is not an object: " + Truncate(body));
        }

        if (root.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (KubernetesJson.Deserialize<T>(item) is { } value)
                {
                    items.Add(value);
                }
            }
        }
        else if (list.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            throw new JsonException("a list whose items are not an array: " + Truncate(body));
        }

        return root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            ? KubernetesJson.Deserialize<V1ListMeta>(metadata) ?? new V1ListMeta()
            : new V1ListMeta();
    }

    /// <summary>Parses one watch line, <c>{"type":"...","object":{...}}</c>.</summary>
    /// <exception cref="InvalidDataException">The line is not a watch event.</exception>
    public static WatchEvent<T> ParseEvent<T>(string line)
        where T : class
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type", out var typeElement)
            || !root.TryGetProperty("object", out var obj)
            || obj.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("a watch line without type and object: " + Truncate(line));
        }

        var type = typeElement.GetString() switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            var other => throw new InvalidDataException($"unknown watch event type '{other}'"),
        };
        return type == WatchEventType.Error
            ? new WatchEvent<T>(WatchEventType.Error, null, KubernetesJson.Deserialize<V1Status>(obj))
            : new WatchEvent<T>(type, KubernetesJson.Deserialize<T>(obj));
    }

    internal static async Task<HttpResponseMessage> SendAsync(Kubernetes client, string relativeUri, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, relativeUri))
        {
            // As the package's own calls: HTTP/2 where the server offers it, so that watches share a connection.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new ApiStatusException(StatusFrom(body, response.StatusCode));
        }
    }

    private static V1Status StatusFrom(string body, HttpStatusCode code)
    {
        try
        {
            if (KubernetesJson.Deserialize<V1Status>(body) is { Kind: "Status" } status)
            {
                status.Code ??= (int)code;
                return status;
            }
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy's HTML page, say): keep the HTTP code and the text.
        }

        return new V1Status { Code = (int)code, Reason = code.ToString(), Message = Truncate(body), Status = "Failure" };
    }

    private static string Truncate(string text) => text.Length <= 256 ? text : text[..256] + "...";

    private sealed class Query
    {
        private readonly StringBuilder _sb = new();

        public void Add(string name, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            _sb.Append(_sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        public override string ToString() => _sb.ToString();
    }
}

/// <summary><see cref="IListWatchFactory"/> over one <see cref="Kubernetes"/> client (see <see cref="KubernetesListWatch"/>).</summary>
public sealed class KubernetesListWatchFactory(Kubernetes client) : IListWatchFactory
{
    public ListWatch<T> Create<T>(string? ns, string? labelSelector, string? fieldSelector)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        KubernetesListWatch.Create<T>(client, ns, labelSelector, fieldSelector);
}
