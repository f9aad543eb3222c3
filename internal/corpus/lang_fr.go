package corpus

// French typography puts a no-break space inside guillemets and before
// ":", "?" and "!", and a narrow no-break space between thousands.
func french() langSpec {
	return langSpec{
		tag: "fr", weight: 9, script: latin,
		words: `de la le et les à des en un du une que est pour qui dans a par plus
pas au sur ne se il sont ce avec son sa elle ont ses aux mais comme on ou nous
leur y été cette tout fait deux aussi bien ans être dont sans peu avoir entre
autres lors leurs selon ils très après même depuis encore avait sous alors faire
c'est n'est qu'il pays contre an premier tous chez notre moins également
gouvernement ministre président fois ainsi dit déjà temps avant ces état cas jour
trois part France autre monde toujours faut doit vers première nouvelle nouveau
mois semaine semaines années année millions heures personnes grand grande place
plusieurs partie seulement pendant jamais plutôt parce toute politique sécurité
public publique droit droits pouvoir point face question ensemble national
nationale international internationale économique rapport loi projet groupe vie
travail fin début moment mesures situation sein cadre d'abord afin rien chaque
trop quand si là ici lui eux celui celle ceux quelques certains certaines toutes
aujourd'hui hier demain enfin cependant pourtant notamment environ près loin
nombre nombreux nombreuses grands petite petit nouveaux dernier dernière derniers
prochain prochaine long ville région capitale frontière armée police justice
enquête autorités responsables habitants familles enfants femmes hommes victimes
morts blessés population société entreprise entreprises marché prix argent
impôts santé école hôpital eau énergie gaz pétrole accord décision réunion sommet
conférence élection vote parti opposition majorité député députés sénat assemblée
conseil commission crise aide soutien risque fait_que d'une d'un qu'elle s'est
n'a c'était l'on jusqu'à aujourd'hui_encore il_y_a il_a elle_a a_déclaré
a_indiqué a_précisé selon_les d'après_les dans_le dans_la sur_le sur_la pour_le
pour_la avec_le avec_la par_le par_la de_la_part_de à_la au_cours_de en_raison_de
face_à grâce_à afin_de lors_de près_de plus_de moins_de au_moins en_effet
c'est-à-dire le_pays la_région la_capitale le_président le_ministre le_gouvernement
les_autorités les_habitants droits_de_l'homme pour_la_première_fois en_même_temps
à_la_fin_de au_début_de ces_dernières_années cette_année l'année_dernière`,
		nouns: `le_gouvernement les_élections le_cessez-le-feu les_sanctions l'inflation
le_budget la_manifestation les_manifestants les_réfugiés la_frontière l'économie
les_négociations l'accord le_traité le_vaccin l'épidémie le_séisme les_inondations
la_sécheresse l'incendie le_climat les_émissions la_grève le_syndicat l'enquête
la_corruption le_procès le_verdict le_tribunal le_référendum la_coalition
l'opposition la_campagne les_troupes les_missiles les_drones le_gazoduc
les_droits_de_douane les_exportations le_chômage les_réformes les_journalistes
la_censure la_coupure_d'internet les_otages l'aide_humanitaire
les_pourparlers_de_paix les_taux_d'intérêt la_banque_centrale les_migrants
l'évacuation le_blocus`,
		verbs: `a_annoncé a_approuvé a_rejeté a_critiqué a_lancé a_suspendu a_signé
a_bloqué a_proposé a_confirmé a_démenti a_salué a_condamné a_reporté a_prolongé
a_soutenu a_ordonné a_exigé a_imposé a_levé`,
		said: []string{
			"a déclaré", "a affirmé", "a indiqué", "a souligné", "a averti",
			"a expliqué", "a insisté", "a précisé", "a déclaré à la presse",
			"a indiqué dans un communiqué", "a écrit sur les réseaux sociaux",
		},
		times: []string{
			"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
			"la semaine dernière", "ce mois-ci", "mardi soir", "tard vendredi",
			"cette semaine", "le mois dernier", "dans la nuit", "en début d'année",
		},
		people: []string{
			"Claire Dumont|f", "Julien Moreau", "Sophie Lefèvre|f", "Antoine Girard",
			"Isabelle Marchand|f", "Nicolas Fontaine", "Camille Rousseau|f",
			"Mathieu Lambert", "Aïcha Diallo|f", "Olivier Perrin",
			"Nathalie Bertrand|f", "Karim Benali", "Élodie Garnier|f",
			"François Chevalier", "Amadou Traoré", "Hélène Mercier|f",
		},
		reporters: []string{
			"Léa Martin", "Thomas Bernard", "Inès Haddad", "Hugo Lefebvre",
			"Manon Petit", "Louis Durand", "Fatou Ndiaye", "Pierre Lemoine",
		},
		places: []string{
			"Paris", "Bruxelles", "Genève", "Dakar", "Abidjan", "Bamako", "Kinshasa",
			"Niamey", "Ouagadougou", "Tunis", "Alger", "Rabat", "Beyrouth",
			"Port-au-Prince", "Montréal", "Kiev", "Moscou", "Pékin", "Téhéran",
			"Gaza", "Khartoum", "Damas",
		},
		orgs: []string{
			"le gouvernement", "l'ONU", "l'Union européenne", "le ministère de l'Intérieur",
			"le ministère des Affaires étrangères", "la Banque centrale", "la Cour suprême",
			"la commission électorale", "l'Organisation mondiale de la santé",
			"le Fonds monétaire international", "la Croix-Rouge",
			"la coalition d'opposition", "le parquet", "l'Assemblée nationale",
			"le ministère de la Santé", "Amnesty International",
		},
		templates: []string{
			"{W}.",
			"{E} {S} {T} que {W}.",
			"Selon {O}, {W}.",
			"«\u00a0{W}\u00a0», {S} {E}.",
			"{O} {V} {K} {T}, {W}.",
			"À {L}, {W}.",
			"{W} {N} {W}.",
			"{K} {W}, {S} {E}.",
			"{G}, par la voix de son porte-parole {P}, {S} que {W}.",
			"Plus de {#} personnes {W} à {L} {T}.",
			"Les autorités de {C} {S} que {K} {W}.",
			"{E} {V} {N} et {W}.",
			"{W}\u00a0?",
			"Interrogé sur {K}, {E} {S}\u00a0: «\u00a0{W}\u00a0».",
			"{N} à {L} {W}, selon {O}.",
			"{F} {S} que {W}, et que {W}.",
			"Pour les analystes, {K} {W}.",
			"{O} {V} {N} à {C} {T}.",
			"Depuis {Y}, {W}.",
			"De son côté, {F} {S} que {W}.",
			"{K} est {W}, et {W}.",
			"Environ {#}\u00a0% de {W}.",
		},
		headlines: []string{
			"{L}\u00a0: {O} {V} de nouvelles mesures",
			"{E}\u00a0: «\u00a0Nous ne renoncerons pas\u00a0»",
			"Ce que {K} change pour {L}",
			"{K} à {L}\u00a0: ce que l'on sait",
			"{O} {V} un accord avec {G}",
			"Des milliers de manifestants à {L}",
			"Analyse\u00a0: pourquoi {K} inquiète",
			"{#} morts à {L} après {N}",
			"{E} et {F} se rencontrent à {L}",
			`{E} dénonce un "{N}" à {L}`,
		},
		subheads: []string{
			"Et maintenant\u00a0?", "Réactions", "Contexte", "L'impact économique",
			"Ce que dit le gouvernement", "Une longue histoire", "La réponse internationale",
			"Témoignages à {L}", "Pourquoi c'est important", "Les chiffres",
		},
		dateline: "{U}, {D} {M} (Samizdat) — ",
		byline:   "Par %s",
		and:      " et ",
		footer:   "_Samizdat Info est une rédaction indépendante. Cet article peut être republié librement en citant la source._",
		months: [12]string{"janvier", "février", "mars", "avril", "mai", "juin",
			"juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		thousands: "\u202f",
	}
}
