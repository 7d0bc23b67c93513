using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubesharp.Api.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kubesharp.ApiServer.Tests.Streaming;

/// <summary>
/// An in-test HTTPS server standing in for a node's kubelet, with a self-signed serving certificate (as a kubelet
/// without a signed one has). <c>/containerLogs</c> answers with the path and query it got, then the lines of
/// <see cref="LogLines"/>, or the status and text of <see cref="LogError"/>; <c>/exec</c> and <c>/attach</c> accept a
/// WebSocket with the first offered binary protocol, write "hi" on stdout and "oops" on stderr, echo stdin frames
/// back on stdout until the v5 close frame for stdin, then send the exit status of <see cref="ExitCode"/>.
/// </summary>
internal sealed class FakeKubelet : IAsyncDisposable
{
    private WebApplication? _app;

    public ConcurrentQueue<string> Callers { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    public string[] LogLines { get; set; } = ["one", "two"];

    public (int Status, string Text)? LogError { get; set; }

    public int ExitCode { get; set; } = 3;

    public bool EchoStdin { get; set; }

    public int Port { get; private set; }

    public async Task StartAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-kubelet", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var serving = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        Port = new Uri(app.Urls.First()).Port;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Callers.Enqueue(context.Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, false) ?? "");
        var pathAndQuery = context.Request.Path + context.Request.QueryString;
        Requests.Enqueue(pathAndQuery);
        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments[0] == "containerLogs")
        {
            if (LogError is { } error)
            {
                context.Response.StatusCode = error.Status;
                await context.Response.WriteAsync(error.Text + "\n");
                return;
            }

            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(pathAndQuery + "\n");
            foreach (var line in LogLines)
            {
                await context.Response.WriteAsync(line + "\n");
                await context.Response.Body.FlushAsync();
            }

            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var protocol = StreamProtocols.Negotiate(context.Request.Headers.SecWebSocketProtocol.Select(v => v ?? ""), StreamProtocols.Binary);
        using var ws = await context.WebSockets.AcceptWebSocketAsync(protocol);
        await SendAsync(ws, StreamProtocols.StdoutChannel, "hi\n"u8.ToArray());
        await SendAsync(ws, StreamProtocols.StderrChannel, "oops\n"u8.ToArray());
        if (EchoStdin)
        {
            var buffer = new byte[4096];
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close || buffer[0] == StreamProtocols.CloseChannel)
                {
                    break;
                }

                if (buffer[0] == StreamProtocols.StdinChannel)
                {
                    await SendAsync(ws, StreamProtocols.StdoutChannel, buffer[1..result.Count]);
                }
            }
        }

        var command = context.Request.Query["command"].Select(c => c ?? "").ToList();
        await SendAsync(ws, StreamProtocols.ErrorChannel, ExitCode == 0 ? ExecStatus.Success() : ExecStatus.NonZeroExit(command, ExitCode));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    private static Task SendAsync(WebSocket ws, byte channel, byte[] data) =>
        ws.SendAsync((byte[])[channel, .. data], WebSocketMessageType.Binary, true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
