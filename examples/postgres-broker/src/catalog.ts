/** What the broker offers. Ids are what platforms store: made once with uuidgen, never changed. */
export const catalog = {
  services: [
    {
      id: 'a3b6d7a0-5c1e-4f7b-9d43-2f6c1e8b7d10',
      name: 'postgres',
      description: 'A PostgreSQL database on a shared server, with a role per binding',
      bindable: true,
      instances_retrievable: true,
      bindings_retrievable: true,
      tags: ['postgresql', 'relational', 'sql'],
      plans: [
        {
          id: 'f1d2c3b4-a5e6-4f70-8192-a3b4c5d6e7f8',
          name: 'shared',
          description: 'A database on the shared server',
        },
      ],
    },
  ],
};
