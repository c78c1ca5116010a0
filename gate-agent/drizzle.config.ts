/** drizzle-kit configuration: generates the SQL migrations of the gate agent's SQLite schema into migrations/gate/. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './gate-agent/store/schema.ts',
  out: './migrations/gate',
});
