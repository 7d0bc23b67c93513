using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;

namespace Kubesharp.Tests.EndToEnd.Failures;

/// <summary>One event a watch delivered: ADDED, MODIFIED or DELETED of a ConfigMap, with its <c>data.v</c>.</summary>
internal sealed record WatchedEvent(string Type, string Name, string? Value, long ResourceVersion);

/// <summary>A relist after 410 Gone: the collection at <paramref name="ResourceVersion"/>.</summary>
internal sealed record Relist(long ResourceVersion, IReadOnlyDictionary<string, (string Value, long ResourceVersion)> Items);

/// <summary>How one (re)connection of the watch went: the version it asked for and what came back.</summary>
internal sealed record WatchConnection(long FromResourceVersion, int Epoch, int Events, string End);

/// <summary>
/// A watch on the ConfigMaps of one namespace, as a reflector keeps one: raw <c>?watch=1&amp;resourceVersion=N</c>
/// with bookmarks; when the stream breaks (the server died) it watches again from the last version it saw, and when
/// that version is gone (410) it relists and watches from the list's version. Records everything in order.
/// Single-threaded: <see cref="RunAsync"/> is its only loop; read the records after it has returned (or under
/// <see cref="Gate"/> while it runs).
/// </summary>
internal sealed class ResumingWatch(string ns, Func<Kubernetes> newClient, Func<int> epoch)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    public Lock Gate { get; } = new();

    /// <summary>Events and relists, in the order they arrived.</summary>
    public List<object> Records { get; } = [];

    public List<WatchConnection> Connections { get; } = [];

    /// <summary>The newest version seen (event, bookmark or list); the next watch starts there.</summary>
    public long LastResourceVersion { get; private set; }

    /// <summary>Watches from <paramref name="fromResourceVersion"/> until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(long fromResourceVersion, CancellationToken stop)
    {
        LastResourceVersion = fromResourceVersion;
        using var client = newClient();
        // A watch lasts as long as it lasts: no client-side timeout (a fresh HttpClient, so it can still be set).
        client.HttpClient.Timeout = Timeout.InfiniteTimeSpan;
        while (!stop.IsCancellationRequested)
        {
            var from = LastResourceVersion;
            var events = 0;
            string end;
            try
            {
                var url = new Uri(client.BaseUri, $"api/v1/namespaces/{ns}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion={from}");
                using var response = await client.HttpClient.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stop);
                if (response.StatusCode == HttpStatusCode.Gone)
                {
                    end = "410 Gone (HTTP)";
                    await RelistAsync(client, stop);
                }
                else if (!response.IsSuccessStatusCode)
                {
                    end = $"HTTP {(int)response.StatusCode}";
                }
                else
                {
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
                    end = "stream ended";
                    while (await reader.ReadLineAsync(stop) is { } line)
                    {
                        if (line.Length == 0)
                        {
                            continue;
                        }

                        if (!Apply(line, ref events))
                        {
                            end = "410 Gone (ERROR event)";
                            await RelistAsync(client, stop);
                            break;
                        }
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !stop.IsCancellationRequested)
            {
                end = e.GetType().Name;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                end = "stopped";
            }

            lock (Gate)
            {
                Connections.Add(new WatchConnection(from, epoch(), events, end));
            }

            if (!stop.IsCancellationRequested)
            {
                await Task.Delay(RetryDelay, CancellationToken.None);
            }
        }
    }

    /// <summary>Records one event line; false for an ERROR 410 (the version is gone), throws on any other ERROR.</summary>
    private bool Apply(string line, ref int events)
    {
        using var json = JsonDocument.Parse(line);
        var type = json.RootElement.GetProperty("type").GetString()!;
        var obj = json.RootElement.GetProperty("object");
        if (type == "ERROR")
        {
            return obj.TryGetProperty("code", out var code) && code.GetInt32() == 410
                ? false
                : throw new InvalidOperationException($"watch ERROR event: {line}");
        }

        var meta = obj.GetProperty("metadata");
        var rv = long.Parse(meta.GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture);
        lock (Gate)
        {
            if (type != "BOOKMARK")
            {
                var value = obj.TryGetProperty("data", out var data) && data.TryGetProperty("v", out var v) ? v.GetString() : null;
                Records.Add(new WatchedEvent(type, meta.GetProperty("name").GetString()!, value, rv));
                events++;
            }

            LastResourceVersion = Math.Max(LastResourceVersion, rv);
        }

        return true;
    }

    private async Task RelistAsync(Kubernetes client, CancellationToken stop)
    {
        var list = await ListAsync(client, ns, stop);
        lock (Gate)
        {
            Records.Add(list);
            LastResourceVersion = list.ResourceVersion;
        }
    }

    /// <summary>The namespace's ConfigMaps (name to data.v and version) and the list's version.</summary>
    public static async Task<Relist> ListAsync(Kubernetes client, string ns, CancellationToken cancellationToken)
    {
        var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: cancellationToken);
        var items = list.Items.ToDictionary(
            c => c.Metadata.Name,
            c => (c.Data is { } data && data.TryGetValue("v", out var v) ? v : "", long.Parse(c.Metadata.ResourceVersion, CultureInfo.InvariantCulture)),
            StringComparer.Ordinal);
        return new Relist(long.Parse(list.Metadata.ResourceVersion, CultureInfo.InvariantCulture), items);
    }
}
