using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Security;

/// <summary>
/// The node's TLS settings for every listener and every connection it opens to another node, built from
/// <see cref="TlsOptions"/>. The certificate and CA are read once at start (a missing or unreadable file stops the
/// node with a message naming it) and, with <see cref="TlsOptions.WatchFiles"/>, again when their files change: every
/// option built here picks the certificate per handshake, so new connections use the reloaded one at no cost to
/// open ones.
/// </summary>
internal sealed partial class NodeTls : IDisposable
{
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromSeconds(1);

    private readonly ILogger<NodeTls> _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer? _reload;
    private TlsMaterial? _material;

    public NodeTls(IOptions<NodeOptions> options, ILogger<NodeTls> logger)
    {
        _logger = logger;
        Options = options.Value.Tls;
        if (!Options.AnyEnabled)
            return;
        _material = TlsMaterial.Load(Options);
        LogLoaded(_material.Certificate.Subject, _material.Certificate.Thumbprint, _material.Certificate.NotAfter);
        if (Options.WatchFiles)
        {
            _reload = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
            Watch();
        }
    }

    public TlsOptions Options { get; }

    /// <summary>The loaded certificate and CA; throws when no TLS switch is on.</summary>
    public TlsMaterial Material => Volatile.Read(ref _material) ?? throw new InvalidOperationException("TLS is not enabled");

    /// <summary>True when <paramref name="certificate"/> chains to the cluster CA: a member or an authorized client.</summary>
    public bool IsSignedByCluster(X509Certificate? certificate) => certificate switch
    {
        null => false,
        X509Certificate2 c => Material.IsSignedByCluster(c),
        _ => Material.IsSignedByCluster(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())),
    };

    /// <summary>
    /// Options for a connection this node opens to another node (forwarding, snapshot download, Raft): presents the
    /// node certificate and accepts a server whose certificate chains to the CA, whatever name it carries.
    /// </summary>
    public SslClientAuthenticationOptions ClientOptions(string? targetHost) => new()
    {
        TargetHost = targetHost,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        LocalCertificateSelectionCallback = (_, _, _, _, _) => Material.Certificate,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsSignedByCluster(certificate),
    };

    /// <summary>Options for a listener that accepts only members: the peer must present a certificate the CA signed.</summary>
    public SslServerAuthenticationOptions MemberServerOptions() => new()
    {
        ServerCertificateSelectionCallback = (_, _) => Material.Certificate,
        ClientCertificateRequired = true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsSignedByCluster(certificate),
    };

    /// <summary>Kestrel's HTTPS settings for a listener, asking clients for a certificate as <paramref name="mode"/> says.</summary>
    public void ConfigureHttps(HttpsConnectionAdapterOptions https, ClientCertificateMode mode)
    {
        ArgumentNullException.ThrowIfNull(https);
        https.ServerCertificateSelector = (_, _) => Material.Certificate;
        https.ClientCertificateMode = mode;
        https.CheckCertificateRevocation = false;
        https.ClientCertificateValidation = (certificate, _, _) => IsSignedByCluster(certificate);
    }

    /// <summary>Kestrel's client-certificate mode for the RESP port.</summary>
    public ClientCertificateMode RespClientCertificateMode => Options.RespClientAuth switch
    {
        TlsClientAuth.Yes => ClientCertificateMode.RequireCertificate,
        TlsClientAuth.Optional => ClientCertificateMode.AllowCertificate,
        _ => ClientCertificateMode.NoCertificate,
    };

    /// <summary>Mutual TLS for DotNext's Raft transport, or null when <see cref="TlsOptions.Raft"/> is off.</summary>
    public DotNext.Net.Security.SslOptions? RaftOptions() => Options.Raft ? new RaftSslOptions(this) : null;

    private void Watch()
    {
        var files = new[] { Options.CertificatePath, Options.KeyPath, Options.CaPath }
            .Where(static f => !string.IsNullOrWhiteSpace(f))
            .Select(Path.GetFullPath)
            .ToList();
        foreach (var directory in files.Select(static f => Path.GetDirectoryName(f)!).Distinct(StringComparer.Ordinal))
        {
            // The whole directory is watched, not the files: a renamed-over file (an atomic replace, a Kubernetes
            // secret's symlink swap) is not a change of the old file's name.
            var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    // Several events arrive for one write; the reload runs once they have stopped for ReloadDelay.
    private void OnFileEvent(object sender, FileSystemEventArgs e) => _reload?.Change(ReloadDelay, Timeout.InfiniteTimeSpan);

    /// <summary>Loads the files again; keeps the current certificate when they fail to load.</summary>
    public void Reload()
    {
        try
        {
            var material = TlsMaterial.Load(Options);
            var previous = Interlocked.Exchange(ref _material, material);
            if (previous?.Certificate.Thumbprint != material.Certificate.Thumbprint)
                LogReloaded(material.Certificate.Subject, material.Certificate.Thumbprint, material.Certificate.NotAfter);
        }
        catch (InvalidOperationException e)
        {
            LogReloadFailed(e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
            watcher.Dispose();
        _reload?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate {Subject} ({Thumbprint}, valid until {NotAfter:u}) loaded")]
    private partial void LogLoaded(string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS files changed: new handshakes use certificate {Subject} ({Thumbprint}, valid until {NotAfter:u})")]
    private partial void LogReloaded(string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS files changed but could not be loaded ({Reason}); the previous certificate stays in use")]
    private partial void LogReloadFailed(string reason);
}
