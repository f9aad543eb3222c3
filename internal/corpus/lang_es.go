package corpus

func spanish() langSpec {
	return langSpec{
		tag: "es", weight: 12, script: latin,
		words: `de la que el en y a los se del las un por con no una su para es al
lo como más o pero sus le ha si sin sobre este ya entre cuando todo esta ser son
dos también fue había era muy años hasta desde está porque qué solo han hay vez
puede todos así nos ni parte tiene él uno donde bien tiempo mismo ese ahora cada
vida otro después otros aunque esa eso hace otra gobierno tan durante siempre día
tanto ella tres sí dijo sido gran país según menos mundo año antes estado contra
sino forma caso nada hacer general estaba poco estos presidente mayor ante unos
les algo hacia casa ellos ayer hecho mucho mientras además quien momento millones
esto hoy lugar nacional trabajo otras mejor nuevo decir algunos entonces todas
días debe política cómo casi toda tal luego pasado medio estas sea tenía nunca
poder aquí ver veces embargo partido personas grupo cuenta pueden tienen misma
nueva cual fueron frente tras cosas fin ciudad social manera tener sistema será
historia muchos tipo cuatro dentro nuestro punto dice ello cualquier noche aún
agua parece haber situación fuera bajo grandes nuestra ejemplo acuerdo habían
estados hizo nadie países horas posible tarde ley importante guerra desarrollo
proceso realidad sentido lado cambio allí eran estar número sociedad unas centro
gente final relación incluso través último información muerte nombre algunas
público mujeres todavía meses mañana esos nosotros hora muchas pueblo alguna dar
problemas derecho verdad podría sería junto equipo segundo director dicho cierto
casos nivel familia largo partir falta llegar propio ministro primero seguridad
hemos mal trata algún tuvo respecto semana varios real mil quienes proyecto
mercado ciudadanos autoridades funcionarios región capital oposición elecciones
economía precios empresas trabajadores salud ejército policía fuerzas víctimas
familias niños vecinos calles comunidad zona frontera presupuesto crisis ayuda
gobiernos ministra portavoz comunicado medidas decisión reunión anuncio plan
propuesta investigación denuncia tribunal juez fiscal congreso senado diputados
votación campaña candidato partidos alcalde sin_embargo por_su_parte a_pesar_de
de_acuerdo_con lo_que en_el de_los de_la en_la por_el para_el con_el a_la
a_los que_el que_la es_un es_una uno_de una_de parte_de a_través_de al_menos
más_de menos_de hace_unos este_año el_año_pasado el_país la_región la_capital
el_presidente el_ministro el_gobierno las_autoridades los_ciudadanos derechos_humanos
por_primera_vez al_mismo_tiempo a_finales_de a_principios_de en_los_últimos_años`,
		nouns: `el_gobierno las_elecciones el_alto_el_fuego las_sanciones la_inflación
el_presupuesto la_protesta los_manifestantes los_refugiados la_frontera la_economía
las_negociaciones el_acuerdo el_tratado la_vacuna el_brote el_terremoto
las_inundaciones la_sequía el_incendio el_clima las_emisiones la_huelga
el_sindicato la_investigación la_corrupción el_juicio la_sentencia el_tribunal
el_referéndum la_coalición la_oposición la_campaña las_tropas los_misiles
los_drones el_oleoducto los_aranceles las_exportaciones el_desempleo las_reformas
los_periodistas la_censura el_apagón los_rehenes la_ayuda_humanitaria
las_conversaciones_de_paz los_tipos_de_interés el_banco_central los_migrantes
la_evacuación el_bloqueo`,
		verbs: `anunció aprobó rechazó criticó lanzó suspendió firmó bloqueó propuso
confirmó negó celebró condenó aplazó amplió respaldó ordenó exigió frenó impuso
levantó investigó`,
		said: []string{
			"dijo", "afirmó", "declaró", "aseguró", "señaló", "advirtió",
			"explicó", "subrayó", "insistió", "dijo a los periodistas",
			"indicó en un comunicado", "escribió en las redes sociales",
		},
		times: []string{
			"el lunes", "el martes", "el miércoles", "el jueves", "el viernes",
			"el sábado", "el domingo", "la semana pasada", "este mes",
			"el martes por la noche", "a última hora del viernes", "esta semana",
			"el mes pasado", "durante la noche", "a principios de año",
		},
		people: []string{
			"Ana Beltrán|f", "Javier Morales", "Lucía Herrera|f", "Andrés Castaño",
			"Marta Villalobos|f", "Diego Santamaría", "Carmen Olivares|f",
			"Ricardo Fuentes", "Isabel Quintana|f", "Fernando Rivas",
			"Gabriela Ortega|f", "Tomás Echeverría", "Paula Medina|f",
			"Sergio Lozano", "Valeria Campos|f", "Héctor Salgado",
		},
		reporters: []string{
			"Laura Giménez", "Pablo Arriaga", "Elena Robles", "Mateo Cifuentes",
			"Natalia Duarte", "Óscar Peña", "Clara Benítez", "Iván Serrano",
		},
		places: []string{
			"Madrid", "Buenos Aires", "Ciudad de México", "Bogotá", "Caracas",
			"Lima", "Santiago", "Quito", "La Paz", "Managua", "Tegucigalpa",
			"La Habana", "Montevideo", "Asunción", "San Salvador", "Bruselas",
			"Ginebra", "Washington", "Kiev", "Gaza",
		},
		orgs: []string{
			"el Gobierno", "la ONU|f", "la Unión Europea|f", "el Ministerio del Interior",
			"la Cancillería|f", "el Banco Central", "la Corte Suprema|f",
			"el Consejo Nacional Electoral", "la Organización Mundial de la Salud|f",
			"el Fondo Monetario Internacional", "la Cruz Roja|f",
			"la coalición opositora|f", "la Fiscalía General|f", "el Congreso",
			"el Ministerio de Salud", "Amnistía Internacional|f",
		},
		templates: []string{
			"{W}.",
			"{E} {S} {T} que {W}.",
			"Según {O}, {W}.",
			"“{W}”, {S} {E}.",
			"{O} {V} {K} {T}, {W}.",
			"En {L}, {W}.",
			"{W} {N} {W}.",
			"{K} {W}, {S} {E}.",
			"{G} {S}, a través de su portavoz {P}, que {W}.",
			"Más de {#} personas {W} en {L} {T}.",
			"Las autoridades de {C} {S} que {K} {W}.",
			"{E} {V} {N} y {W}.",
			"¿{W}?",
			"Consultado sobre {K}, {E} {S}: “{W}”.",
			"{N} en {L} {W}, según {O}.",
			"{F} {S} que {W}, y que {W}.",
			"Los analistas creen que {K} {W}.",
			"{O} {V} {N} en {C} {T}.",
			"Desde {Y}, {W}.",
			"Por su parte, {F} {S} que {W}.",
			"{K} es {W}, y {W}.",
			"Cerca del {#} % de {W}.",
		},
		headlines: []string{
			"{L}: {O} {V} nuevas medidas sobre {K}",
			`{E} advierte: "{N} no puede esperar"`,
			"Qué significa {K} para {L}",
			"{K} en {L}: lo que sabemos",
			`{E}: "No vamos a renunciar"`,
			"{O} {V} un acuerdo con {G}",
			"Miles de personas protestan en {L}",
			"Análisis: por qué importa {K}",
			"{#} muertos en {L} tras {N}",
			"{E} y {F} se reúnen para hablar sobre {K}",
		},
		subheads: []string{
			"Qué pasará ahora", "Reacciones", "Antecedentes", "El impacto económico",
			"Lo que dice el Gobierno", "Una larga historia", "La respuesta internacional",
			"Voces desde {L}", "Por qué es importante", "Las cifras",
		},
		dateline: "{U}, {D} de {M} (Samizdat) — ",
		byline:   "Por %s",
		and:      " y ",
		footer:   "_Samizdat Noticias es una redacción independiente. Este artículo puede reproducirse citando la fuente._",
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
			"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		thousands: ".",
	}
}
