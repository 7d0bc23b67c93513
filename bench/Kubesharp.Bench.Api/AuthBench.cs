using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Kubesharp.Bench.Api;

/// <summary>
/// The auth part of <c>make bench-api</c>: the same closed-loop create workload as system:masters (admin
/// certificate), as a service account token bound to <c>edit</c> by a RoleBinding, and as a plain client
/// certificate bound the same way, in one run; then token verifications per second (SelfSubjectReviews
/// with the token, each one authenticated). Ends with <c>auth-bench: rbac_over_masters=... token_verifications_per_s=...</c>.
/// </summary>
internal static class AuthBench
{
    public static async Task RunAsync(HttpClient admin, string dir, int port, int pods)
    {
        var adminLoad = new ApiLoad(admin);
        foreach (var ns in (string[])["auth-masters", "auth-masters-2", "auth-token", "auth-cert"])
        {
            await adminLoad.CreateNamespaceAsync(ns);
        }

        await adminLoad.PostAsync("/api/v1/namespaces/auth-token/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"bench-robot"}}""");
        await adminLoad.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/auth-token/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"robot-edit"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},
             "subjects":[{"kind":"ServiceAccount","name":"bench-robot","namespace":"auth-token"}]}
            """);
        await adminLoad.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/auth-cert/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"bench-user-edit"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"bench-user"}]}
            """);
        var tokenRequest = await adminLoad.PostAsync("/api/v1/namespaces/auth-token/serviceaccounts/bench-robot/token",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}""");
        var token = JsonDocument.Parse(tokenRequest).RootElement.GetProperty("status").GetProperty("token").GetString()!;

        using var tokenClient = Client(dir, port, null);
        tokenClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var certClient = Client(dir, port, IssueUser(dir, "bench-user"));
        // RBAC changes reach the authorizer a moment after they are written.
        await WaitAllowedAsync(tokenClient, "auth-token");
        await WaitAllowedAsync(certClient, "auth-cert");

        var masters = await new ApiLoad(admin).CreateClosedLoopAsync("auth-masters", pods, writers: 64);
        var viaToken = await new ApiLoad(tokenClient).CreateClosedLoopAsync("auth-token", pods, writers: 64);
        var viaCert = await new ApiLoad(certClient).CreateClosedLoopAsync("auth-cert", pods, writers: 64);
        // Masters again at the end: the baseline is the mean of both, so that drift over the run (more objects stored) does not favour either side.
        var mastersAgain = await new ApiLoad(admin).CreateClosedLoopAsync("auth-masters-2", pods, writers: 64);
        var baseline = (masters.PerSecond + mastersAgain.PerSecond) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pods} creates as system:masters: {masters.PerSecond:0}/s then {mastersAgain.PerSecond:0}/s (p99 {masters.P99:0.0} / {mastersAgain.P99:0.0} ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pods} creates with a service account token under RBAC: {viaToken.PerSecond:0}/s (p99 {viaToken.P99:0.0} ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pods} creates with a client certificate under RBAC: {viaCert.PerSecond:0}/s (p99 {viaCert.P99:0.0} ms)"));
        var verifications = await new ApiLoad(tokenClient).PostRateAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", TimeSpan.FromSeconds(3));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  token-authenticated SelfSubjectReviews: {verifications:0}/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"auth-bench: rbac_over_masters={viaToken.PerSecond / baseline:0.00} cert_rbac_over_masters={viaCert.PerSecond / baseline:0.00} token_verifications_per_s={verifications:0}"));
    }

    private static async Task WaitAllowedAsync(HttpClient client, string ns)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync($"/api/v1/namespaces/{ns}/pods?limit=1");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"RBAC never allowed the bench client in {ns}: {(int)response.StatusCode}");
            }

            await Task.Delay(50);
        }
    }

    // A client certificate for a user without privileged groups, signed with the cluster CA's key.
    private static X509Certificate2 IssueUser(string dir, string user)
    {
        var tls = Path.Combine(dir, "tls");
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "ca.crt"), Path.Combine(tls, "ca.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(16));
        // SslStream wants the key in a form it can export on Linux: round-trip through PKCS#12.
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An HTTPS client trusting the cluster CA, presenting <paramref name="certificate"/> when given.</summary>
    public static HttpClient Client(string dir, int port, X509Certificate2? certificate)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "tls", "ca.crt"));
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is X509Certificate2 c && chain.Build(c);
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }
}
