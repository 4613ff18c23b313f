export async function propertiesCommand(): Promise<number> {
  process.stderr.write('schedcheck: this command is not available yet\n');
  return 2;
}
