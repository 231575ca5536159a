using Hale;

// `hale` with no sub-command serves; `hale users|keys|audit|db ...` runs a command (see Cli/HaleCli.cs).
return await HaleApp.RunAsync(args);

public partial class Program;
