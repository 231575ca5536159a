using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hale.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hale.Security;

public sealed class EncryptionOptions
{
    /// <summary>Folder of master key files (<c>master-*.key</c>). Defaults to <c>{DataDirectory}/keys</c>.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>A base64 256-bit master key supplied by configuration or environment (<c>Hale__Encryption__MasterKey</c>); takes precedence over key files.</summary>
    public string? MasterKey { get; set; }
}

/// <summary>A data-encryption key, stored only wrapped (AES-256-GCM) under a master key kept outside the database.</summary>
public sealed class DataKey
{
    public required string Id { get; set; }
    public required string MasterKeyId { get; set; }
    public required byte[] WrappedKey { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsActive { get; set; }
}

internal sealed class DataKeyConfiguration : IEntityTypeConfiguration<DataKey>
{
    public void Configure(EntityTypeBuilder<DataKey> builder)
    {
        builder.Property(k => k.Id).HasMaxLength(40);
        builder.Property(k => k.MasterKeyId).HasMaxLength(40);
    }
}

/// <summary>
/// The master keys Hale can unwrap data keys with. The newest is used to wrap; older ones stay so
/// that data keys wrapped before a rotation still open until <c>keys rotate</c> re-wraps them.
/// </summary>
public sealed class MasterKeyRing
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public string ActiveKeyId { get; private set; } = "";
    public string KeyDirectory { get; }

    public MasterKeyRing(EncryptionOptions options, HaleOptions hale, TimeProvider clock)
    {
        KeyDirectory = Path.GetFullPath(options.KeyDirectory ?? Path.Combine(hale.FullDataDirectory, "keys"));
        foreach (var file in KeyFiles())
        {
            Add(Convert.FromBase64String(File.ReadAllText(file).Trim()));
        }
        if (!string.IsNullOrWhiteSpace(options.MasterKey))
        {
            Add(Convert.FromBase64String(options.MasterKey.Trim()));
        }
        if (_keys.Count == 0)
        {
            CreateKeyFile(clock);
        }
    }

    public byte[] Get(string masterKeyId) =>
        _keys.TryGetValue(masterKeyId, out var key)
            ? key
            : throw new CryptographicException($"Master key {masterKeyId} is not available; check Encryption:KeyDirectory or Encryption:MasterKey.");

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Writes a new master key file, owner-only, and makes it the active key.</summary>
    public string CreateKeyFile(TimeProvider clock)
    {
        Directory.CreateDirectory(KeyDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var key = RandomNumberGenerator.GetBytes(32);
        var id = KeyIdOf(key);
        var path = Path.Combine(KeyDirectory, $"master-{clock.GetUtcNow():yyyyMMddHHmmss}-{id}.key");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        Add(key);
        ActiveKeyId = id;
        return id;
    }

    private IEnumerable<string> KeyFiles() =>
        Directory.Exists(KeyDirectory)
            ? Directory.GetFiles(KeyDirectory, "master-*.key").Order(StringComparer.Ordinal)
            : [];

    private void Add(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new CryptographicException("A master key must be 32 bytes (256 bits), base64-encoded.");
        }
        var id = KeyIdOf(key);
        _keys[id] = key;
        ActiveKeyId = id; // files are read oldest first and configuration last, so the last added wins
    }

    /// <summary>A key's id is derived from the key, so a record or data key names the key it needs without revealing it.</summary>
    private static string KeyIdOf(byte[] key) =>
        "mk-" + Convert.ToHexStringLower(SHA256.HashData([.. "hale-master-key-id"u8, .. key]))[..16];
}

/// <summary>
/// AES-256-GCM for fields at rest. Each ciphertext is bound to its record by associated data
/// (for example <c>message-body:{id}</c>), so a ciphertext copied onto another row does not open.
/// Layout: nonce (12) | tag (16) | ciphertext.
/// </summary>
public sealed class FieldEncryptor(MasterKeyRing masterKeys, IServiceScopeFactory scopes, TimeProvider clock) : IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly ConcurrentDictionary<string, byte[]> _dataKeys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _activeLock = new(1, 1);
    private string? _activeKeyId;

    public void Dispose() => _activeLock.Dispose();

    public async Task<EncryptedValue> EncryptAsync(ReadOnlyMemory<byte> plaintext, string context, CancellationToken cancellationToken = default)
    {
        var keyId = await ActiveKeyIdAsync(cancellationToken);
        return new EncryptedValue(Seal(_dataKeys[keyId], plaintext.Span, context), keyId);
    }

    public Task<EncryptedValue> EncryptAsync(string plaintext, string context, CancellationToken cancellationToken = default) =>
        EncryptAsync(Encoding.UTF8.GetBytes(plaintext), context, cancellationToken);

    /// <summary>Encrypts with a known data key, so one record's fields share a key id.</summary>
    public async Task<byte[]> EncryptWithAsync(string keyId, ReadOnlyMemory<byte> plaintext, string context, CancellationToken cancellationToken = default) =>
        Seal(await DataKeyAsync(keyId, cancellationToken), plaintext.Span, context);

    public async Task<byte[]> EncryptWithAsync(string keyId, string plaintext, string context, CancellationToken cancellationToken = default) =>
        await EncryptWithAsync(keyId, Encoding.UTF8.GetBytes(plaintext), context, cancellationToken);

    public async Task<byte[]> DecryptAsync(byte[] sealedValue, string keyId, string context, CancellationToken cancellationToken = default) =>
        Open(await DataKeyAsync(keyId, cancellationToken), sealedValue, context);

    public async Task<string> DecryptStringAsync(byte[] sealedValue, string keyId, string context, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await DecryptAsync(sealedValue, keyId, context, cancellationToken));

    public async Task<string> ActiveKeyIdAsync(CancellationToken cancellationToken = default)
    {
        if (_activeKeyId is { } known)
        {
            return known;
        }
        await _activeLock.WaitAsync(cancellationToken);
        try
        {
            if (_activeKeyId is { } raced)
            {
                return raced;
            }
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
            var active = await db.DataKeys.AsNoTracking().Where(k => k.IsActive)
                .OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(cancellationToken)
                ?? await CreateDataKeyAsync(db, cancellationToken);
            _dataKeys[active.Id] = Unwrap(active);
            _activeKeyId = active.Id;
            return active.Id;
        }
        finally
        {
            _activeLock.Release();
        }
    }

    /// <summary>
    /// Key rotation: a new active data key for new records, and every data key re-wrapped under the
    /// active master key. Records keep their key id, so everything written before stays readable.
    /// </summary>
    public async Task<(string DataKeyId, int Rewrapped)> RotateAsync(HaleDbContext db, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var keys = await db.DataKeys.ToListAsync(cancellationToken);
        foreach (var key in keys)
        {
            var plain = Unwrap(key);
            key.WrappedKey = Wrap(plain, key.Id, masterKeys.ActiveKeyId);
            key.MasterKeyId = masterKeys.ActiveKeyId;
            key.IsActive = false;
        }
        var created = await CreateDataKeyAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _activeKeyId = null;
        _dataKeys.Clear();
        return (created.Id, keys.Count);
    }

    private async Task<DataKey> CreateDataKeyAsync(HaleDbContext db, CancellationToken cancellationToken)
    {
        var plain = RandomNumberGenerator.GetBytes(32);
        var id = "dk-" + Guid.CreateVersion7().ToString("N");
        var key = new DataKey
        {
            Id = id,
            MasterKeyId = masterKeys.ActiveKeyId,
            WrappedKey = Wrap(plain, id, masterKeys.ActiveKeyId),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            IsActive = true,
        };
        db.DataKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }

    private async Task<byte[]> DataKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_dataKeys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HaleDbContext>();
        var row = await db.DataKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == keyId, cancellationToken)
            ?? throw new CryptographicException($"Data key {keyId} does not exist.");
        return _dataKeys[keyId] = Unwrap(row);
    }

    private byte[] Wrap(byte[] dataKey, string dataKeyId, string masterKeyId) =>
        Seal(masterKeys.Get(masterKeyId), dataKey, "data-key:" + dataKeyId);

    private byte[] Unwrap(DataKey row) =>
        Open(masterKeys.Get(row.MasterKeyId), row.WrappedKey, "data-key:" + row.Id);

    private static byte[] Seal(byte[] key, ReadOnlySpan<byte> plaintext, string context)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(context));
        return output;
    }

    private static byte[] Open(byte[] key, byte[] sealedValue, string context)
    {
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Encrypted value is truncated.");
        }
        var plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(context));
        return plaintext;
    }
}

public readonly record struct EncryptedValue(byte[] Cipher, string KeyId);
