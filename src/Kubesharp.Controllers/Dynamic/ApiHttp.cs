using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// Raw requests through a <see cref="Kubernetes"/> client's HTTP pipeline (its TLS settings, client certificate
/// and credentials), for paths the generated client has no method for: any group's collections, discovery.
/// A failure status is thrown as <see cref="ApiStatusException"/> carrying the server's Status.
/// </summary>
internal static class ApiHttp
{
    public static async Task<string?> SendAsync(Kubernetes client, HttpMethod method, string relativeUri, string? body, string? contentType, bool notFoundIsNull, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(client.BaseUri, relativeUri))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }

        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(client.HttpClientTimeout);
        using var response = await client.HttpClient.SendAsync(request, timeout.Token).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return text;
        }

        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        throw new ApiStatusException(StatusFrom(text, response.StatusCode));
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
            // Not a Status body: keep the HTTP code and the text.
        }

        return new V1Status { Code = (int)code, Reason = code.ToString(), Message = body.Length <= 256 ? body : body[..256] + "...", Status = "Failure" };
    }
}
