using System.Text;
using System.Xml.Linq;
using Hale.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Hale.Security;

/// <summary>
/// The Data Protection key ring (it signs the auth cookie and antiforgery tokens) lives in the database,
/// so several Hale nodes share it, and each key is sealed with a data key like any other secret field,
/// so rotation re-wraps it along with everything else.
/// </summary>
public static class DataProtectionSetup
{
    public static IServiceCollection AddHaleDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName("Hale")
            .PersistKeysToDbContext<HaleDbContext>();
        services.AddOptions<KeyManagementOptions>()
            .Configure<FieldEncryptor>((options, encryptor) => options.XmlEncryptor = new KeyRingEncryptor(encryptor));
        return services;
    }

    private const string Context = "data-protection-key";

    private sealed class KeyRingEncryptor(FieldEncryptor encryptor) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement)
        {
            // Data Protection's API is synchronous; keys are created rarely (every 90 days).
            var sealedValue = encryptor.EncryptAsync(plaintextElement.ToString(SaveOptions.DisableFormatting), Context).GetAwaiter().GetResult();
            var element = new XElement("haleEncryptedKey",
                new XAttribute("keyId", sealedValue.KeyId),
                Convert.ToBase64String(sealedValue.Cipher));
            return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
        }
    }

    private sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            var encryptor = services.GetRequiredService<FieldEncryptor>();
            var keyId = (string?)encryptedElement.Attribute("keyId") ?? throw new InvalidOperationException("Encrypted key has no key id.");
            var plain = encryptor.DecryptAsync(Convert.FromBase64String(encryptedElement.Value), keyId, Context).GetAwaiter().GetResult();
            return XElement.Parse(Encoding.UTF8.GetString(plain));
        }
    }
}
