/** drizzle-kit configuration: generates the SQL migrations of the cloud schema into migrations/cloud/. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './cloud/db/schema.ts',
    './cloud/db/venues-schema.ts',
    './cloud/db/admissions-schema.ts',
    './cloud/db/reconciliation-schema.ts',
  ],
  out: './migrations/cloud',
});
